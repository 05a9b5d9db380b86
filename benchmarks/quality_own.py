"""The project's own QA sets (hand-written and templated; reported apart from realtimeqa-dev).

Usage:
  python benchmarks/quality_own.py [--rss-items N] [--cache DIR] [--rebuild] [--json OUT]

Builds (once, cached) a corpus of the BBC set plus RSS items, then asks the QA set in
benchmarks/data/: qa_hand.jsonl (written by reading the articles), qa_templated.jsonl (made
by benchmarks/qa_templates.py) and qa_offcorpus.jsonl (questions the corpus cannot answer).
The *_heldout.jsonl files are a held-out split made before the abstention support checks
were written (docs/benchmarks.md says how far they stayed unseen); reported apart.
For BM25, dense and hybrid retrieval it reports Hit@1/5/10 and MRR@10 on articles (a hit is
the gold article or one with the same title: the feeds repeat stories), whether the extractive
answer contains the gold string, the in-corpus answer rate and the off-corpus abstention rate,
plus a sweep of the abstention threshold over the answers' calibrated confidence. The corpus
is built with `briefbot ingest` of JSONL files written to the cache (the production ingest:
HTML in feed descriptions is reduced to text, as it is for users).
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpora import BBC, RSS
from bot.config import Settings
from bot.engine import Engine
from bot.models import Answer

DATA = Path(__file__).resolve().parent / "data"
MODES = ("bm25", "dense", "hybrid")
SEARCH_DEPTH = 30
THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


@dataclass
class Question:
    question: str
    answer: str
    gold: str
    made: str


@dataclass
class ModeReport:
    mode: str
    ranks: list[int | None] = field(default_factory=list)
    answered: list[bool] = field(default_factory=list)
    contains: list[bool] = field(default_factory=list)
    answered_at: dict[float, list[bool]] = field(default_factory=dict)
    off_abstained: list[bool] = field(default_factory=list)
    off_abstained_at: dict[float, list[bool]] = field(default_factory=dict)
    seconds: float = 0.0

    def hit(self, k: int, subset: list[int] | None = None) -> float:
        ranks = [self.ranks[i] for i in subset] if subset is not None else self.ranks
        return sum(1 for r in ranks if r is not None and r <= k) / max(len(ranks), 1)

    def mrr(self, k: int = 10) -> float:
        return sum(1 / r for r in self.ranks if r is not None and r <= k) / max(len(self.ranks), 1)

    def rate(self, flags: list[bool]) -> float:
        return sum(flags) / max(len(flags), 1)


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def load_questions(data: Path = DATA) -> tuple[list[Question], list[str]]:
    rows = load_jsonl(data / "qa_hand.jsonl") + load_jsonl(data / "qa_templated.jsonl")
    qa = [
        Question(r["question"], r["answer"], f"{r['corpus']}:{r['article']}", r["made"])
        for r in rows
    ]
    off = [r["question"] for r in load_jsonl(data / "qa_offcorpus.jsonl")]
    return qa, off


def load_heldout(data: Path = DATA) -> tuple[list[Question], list[str]]:
    rows = load_jsonl(data / "qa_templated_heldout.jsonl")
    qa = [Question(r["question"], r["answer"], f"bbc:{r['article']}", "heldout") for r in rows]
    return qa, [r["question"] for r in load_jsonl(data / "qa_offcorpus_heldout.jsonl")]


def bbc_records(path: Path = BBC) -> Iterator[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            yield {
                "title": item["title"],
                "text": item["body"],
                "source": "BBC",
                "external_id": f"bbc:{item['id']}",
            }


def rss_records(path: Path, limit: int | None, must: set[str]) -> Iterator[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            item = json.loads(line)
            key = f"rss:{item['id']}"
            if limit is not None and n >= limit and key not in must:
                continue
            fields = {k: v for k, v in item.items() if k != "id"}
            fields["external_id"] = key
            yield fields


def build_corpus(cache: Path, name: str, records: Iterable[dict]) -> None:
    """Write the records as JSONL and `briefbot ingest` them: the users' ingest path."""
    start = time.perf_counter()
    path = cache / f"{name}.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for fields in records:
            fh.write(json.dumps(fields, ensure_ascii=False) + "\n")
    subprocess.run(
        [sys.executable, "-m", "bot", "ingest", str(path), "--data-dir", str(cache), "--no-seeds"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"# corpus {name}: ingested in {time.perf_counter() - start:.0f}s", file=sys.stderr)


def gold_titles(qa: list[Question]) -> dict[str, str]:
    """Title of each gold article, read from the corpus files (a stored copy may be a dup)."""
    wanted = {q.gold for q in qa}
    titles: dict[str, str] = {}
    for fields in [*bbc_records(), *rss_records(RSS, 0, wanted)]:
        if fields["external_id"] in wanted:
            title = " ".join(str(fields["title"]).split())
            titles[fields["external_id"]] = title.casefold()
    return titles


def article_ranks(engine: Engine, question: str, gold: str, titles: dict[str, str]) -> int | None:
    result = engine.search(question, k=SEARCH_DEPTH)
    gold_title = titles.get(gold)
    seen: list[int] = []
    for p in result.passages:
        if p.article_id not in seen:
            seen.append(p.article_id)
            if " ".join(p.title.split()).casefold() == gold_title:
                return len(seen)
    return None


def evaluate(
    engine: Engine, qa: list[Question], off: list[str], titles: dict[str, str]
) -> ModeReport:
    report = ModeReport(mode=engine.settings.retrieval.mode)
    start = time.perf_counter()
    for q in qa:
        report.ranks.append(article_ranks(engine, q.question, q.gold, titles))
        answers = answers_by_threshold(engine, q.question)
        answer = answers[Settings().answers.abstain_threshold]
        report.answered.append(not answer.abstained)
        report.contains.append(q.answer.casefold() in answer.answer.casefold())
        for t, a in answers.items():
            report.answered_at.setdefault(t, []).append(not a.abstained)
    for question in off:
        answers = answers_by_threshold(engine, question)
        report.off_abstained.append(answers[Settings().answers.abstain_threshold].abstained)
        for t, a in answers.items():
            report.off_abstained_at.setdefault(t, []).append(a.abstained)
    report.seconds = time.perf_counter() - start
    return report


def answers_by_threshold(engine: Engine, question: str) -> dict[float, Answer]:
    """The extractive answer at each swept threshold and the shipped one, from one answer at
    the shipped threshold (the engine's own setting: below it, paraphrase matching is tried):
    abstention compares the calibrated confidence with the threshold, and an answer missing
    the asked count or role abstains at any threshold."""
    shipped = Settings().answers.abstain_threshold
    answer = engine.answer_extractive(question)
    lacking = answer.abstained and getattr(answer.why, "lacking", None) is not None
    return {
        t: answer.model_copy(update={"abstained": lacking or (answer.confidence or 0.0) < t})
        for t in sorted({*THRESHOLDS, shipped})
    }


def open_engine(cache: Path, mode: str, **overrides: object) -> Engine:
    return Engine(Settings(data_dir=cache, retrieval=mode, auto_seed=False, **overrides))


def table(
    reports: list[ModeReport], qa: list[Question], held: dict[str, ModeReport] | None = None
) -> str:
    hand = [i for i, q in enumerate(qa) if q.made.startswith("hand")]
    templ = [i for i, q in enumerate(qa) if q.made == "template"]
    lines = [
        "| mode | Hit@1 | Hit@5 | Hit@10 | MRR@10 | Hit@5 hand | Hit@5 templated"
        " | answer contains gold | answer rate (in) | abstention (off)"
        " | held-out: answer rate (in) | held-out: abstention (off) | s/question |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    held = held or {}
    for r in reports:
        n = len(r.ranks) + len(r.off_abstained)
        lines.append(
            f"| {r.mode} | {r.hit(1):.3f} | {r.hit(5):.3f} | {r.hit(10):.3f} | {r.mrr():.3f}"
            f" | {r.hit(5, hand):.3f} | {r.hit(5, templ):.3f} | {r.rate(r.contains):.3f}"
            f" | {r.rate(r.answered):.3f} | {r.rate(r.off_abstained):.3f}"
            f" | {_held_rate(held, r.mode, 'answered')}"
            f" | {_held_rate(held, r.mode, 'off_abstained')}"
            f" | {r.seconds / max(n, 1):.3f} |"
        )
    return "\n".join(lines)


def _held_rate(held: dict[str, ModeReport], mode: str, flags: str) -> str:
    report = held.get(mode)
    return f"{report.rate(getattr(report, flags)):.3f}" if report else "–"


def sweep(reports: list[ModeReport], held: dict[str, ModeReport]) -> str:
    lines = [
        "| mode | threshold | answer rate (in) | abstention (off)"
        " | held-out: answer rate (in) | held-out: abstention (off) |",
        "|---|---|---|---|---|---|",
    ]
    for r in reports:
        h = held[r.mode]
        for t in THRESHOLDS:
            rates = [
                x.rate(flags[t])
                for x, flags in (
                    (r, r.answered_at),
                    (r, r.off_abstained_at),
                    (h, h.answered_at),
                    (h, h.off_abstained_at),
                )
            ]
            lines.append(f"| {r.mode} | {t:.2f} | " + " | ".join(f"{v:.3f}" for v in rates) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rss-items", type=int, default=None, help="RSS items to ingest (all)")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/briefbot-quality"))
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    qa, off = load_questions()
    held_qa, held_off = load_heldout()
    if args.rebuild and args.cache.exists():
        for f in args.cache.glob("briefbot.sqlite3*"):
            f.unlink()
    builder = open_engine(args.cache, "hybrid")
    if builder.articles.count() == 0:
        must = {q.gold for q in qa}
        builder.close()
        build_corpus(args.cache, "bbc", bbc_records())
        build_corpus(args.cache, "rss", rss_records(RSS, args.rss_items, must))
        builder = open_engine(args.cache, "hybrid")
    titles = gold_titles(qa + held_qa)
    stats = builder.stats()
    builder.close()
    reports = []
    held: dict[str, ModeReport] = {}
    for mode in args.modes.split(","):
        engine = open_engine(args.cache, mode)
        engine.search("warm up the dense index")
        reports.append(evaluate(engine, qa, off, titles))
        held[mode] = evaluate(engine, held_qa, held_off, titles)
        engine.close()
        print(f"# {mode} done in {reports[-1].seconds:.0f}s", file=sys.stderr)
    print(f"corpus: {stats.articles:,} articles, {stats.chunks:,} chunks; ", end="")
    print(f"{len(qa)} in-corpus questions, {len(off)} off-corpus; ", end="")
    print(f"held out: {len(held_qa)} in-corpus, {len(held_off)} off-corpus\n")
    print(table(reports, qa, held))
    print()
    print(sweep(reports, held))
    if args.json:
        payload = {r.mode: r.__dict__ for r in reports}
        payload.update({f"{mode}-heldout": r.__dict__ for mode, r in held.items()})
        args.json.write_text(json.dumps(payload, default=str, indent=1))


if __name__ == "__main__":
    main()
