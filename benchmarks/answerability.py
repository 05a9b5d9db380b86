"""How many of the dev set's "answerable" questions does the corpus actually answer?

Usage:
  python benchmarks/answerability.py sample [--n 120] [--seed 20261130] [--exclude LABELS]
                                            --out SHEET.json
  python benchmarks/answerability.py report --answers RUN.jsonl
                                            [--labels benchmarks/data/rtqa_answerability.jsonl]

realtimeqa-dev calls a question answerable when its gold choice's words occur anywhere in the
articles its web search found. Many of those articles are about something else ("Chicago" in
an older round-up of US news, "June" as another date), so part of the answerable subset is, for
the bot, a question its corpus does not answer: the case where it should abstain.

- `sample` deals a seeded random sample of answerable questions into an audit sheet for blind
  labelling: each question with its date and gold, and the up to four corpus excerpts (~180
  words, case- and punctuation-folded) where the gold sits nearest the question's words. It
  shows no answer of the bot's. A reader labels each question `states_recent` (an excerpt at
  most 60 days old states the gold as the answer to this question), `states_old` (only an
  older one does; timeless facts) or `incidental` (the gold's words occur, the answer does not).
- `report` scores a `quality.py --out` run (answered / gold named / gold in cited quotes) on
  the audited questions by label, and on all answerable questions by the automatic evidence
  measure the labels check: the idf-weighted share of the question's words found within 80
  words of the gold in an article published at most 60 days before the question.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality import RTQA, cited_quotes, fold, load_jsonl, named, rate, week_until

LABELS = Path(__file__).resolve().parent / "data" / "rtqa_answerability.jsonl"
# A second reader's labels for part of the same questions, read without the first ones.
SECOND = LABELS.with_name("rtqa_answerability_second_reader.jsonl")
RECENT_DAYS = 60
WINDOW_WORDS = 80
EXCERPT_WORDS = 90
EXCERPTS = 4
STRATA = ((0.0, 0.5), (0.5, 0.7), (0.7, 1.01))
# From this evidence on, the hand labels say the corpus states the answer (precision 0.95).
STATED = 0.5
# Question words that say nothing about its event.
FRAME = frozenset(
    "a an the of in on at to for from by with and or but is are was were be been has have had"
    " which what who whom whose where when how many much this that these those its it their his"
    " her they he she as into than after before over about following most recently recent week"
    " year new first not did does do will would can could said says".split()
)


def _key(word: str) -> str:
    """A crude stem: enough to match "elected"/"election" when measuring, never shipped."""
    return word[:6]


@dataclass
class Article:
    published: str  # YYYY-MM-DD
    title: str
    text: str  # folded, with a leading and trailing space
    words: list[str]


def load_corpus() -> tuple[list[Article], Counter[str]]:
    articles, df = [], Counter[str]()
    with gzip.open(RTQA / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            folded = fold(f"{r['title']} . {r['text']}")
            words = folded.split()
            when = (r.get("published_at") or "").replace("/", "-")[:10]
            articles.append(Article(when, r["title"], f" {folded} ", words))
            df.update({_key(w) for w in words})
    return articles, df


@dataclass
class Window:
    share: float  # idf-weighted share of the question's words near the gold
    article: Article
    at: int  # the gold's word position


def gold_windows(q: dict[str, Any], articles: list[Article], df: Counter[str]) -> list[Window]:
    """Per article published by the question's week that names the gold: its best window."""
    gold = fold(q["gold"]).split()
    if not gold:
        return []
    until = week_until(q["week"])
    asked = {_key(w) for w in fold(q["question"]).split() if w not in FRAME and len(w) > 1}
    asked -= {_key(w) for w in gold}
    weight = {w: math.log(len(articles) / (1 + df[w])) for w in asked}
    total = sum(weight.values()) or 1.0
    phrase, n = f" {' '.join(gold)} ", len(gold)
    found = []
    for a in articles:
        if a.published > until or phrase not in a.text:
            continue
        best: Window | None = None
        for i in range(len(a.words) - n + 1):
            if a.words[i : i + n] != gold:
                continue
            near = {_key(w) for w in a.words[max(0, i - WINDOW_WORDS) : i + n + WINDOW_WORDS]}
            share = sum(v for w, v in weight.items() if w in near) / total
            if best is None or share > best.share:
                best = Window(share, a, i)
        if best is not None:
            found.append(best)
    return sorted(found, key=lambda w: -w.share)


def days_before(week: str, published: str) -> int:
    return (date.fromisoformat(week_until(week)) - date.fromisoformat(published)).days


def evidence(q: dict[str, Any], articles: list[Article], df: Counter[str]) -> float:
    """The best window's share among articles at most RECENT_DAYS older than the question."""
    recent = [
        w
        for w in gold_windows(q, articles, df)
        if days_before(q["week"], w.article.published) <= RECENT_DAYS
    ]
    return recent[0].share if recent else 0.0


def answerable() -> list[dict[str, Any]]:
    return [q for q in load_jsonl(RTQA / "questions.jsonl") if q["answerable"]]


def sample(n: int, seed: int, out: Path, exclude: Path | None) -> None:
    """A sheet of `n` questions not labelled in `exclude` yet."""
    articles, df = load_corpus()
    done = {a["id"] for a in load_jsonl(exclude)} if exclude else set()
    chosen = random.Random(seed).sample([q for q in answerable() if q["id"] not in done], n)
    sheet = []
    for q in chosen:
        excerpts = []
        for w in gold_windows(q, articles, df)[:EXCERPTS]:
            span = w.article.words[max(0, w.at - EXCERPT_WORDS) : w.at + EXCERPT_WORDS]
            excerpts.append(
                {
                    "published": w.article.published,
                    "days_before_question": days_before(q["week"], w.article.published),
                    "title": w.article.title,
                    "text_folded": " ".join(span),
                }
            )
        sheet.append(
            {
                "id": q["id"],
                "question": q["question"],
                "asked_on": q["date"],
                "gold": q["gold"],
                "excerpts": excerpts,
            }
        )
    out.write_text(json.dumps(sheet, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"{len(sheet)} questions written to {out}")


def outcome(row: dict[str, Any]) -> tuple[bool, bool, bool]:
    answer = row["answer"]
    if answer["abstained"]:
        return False, False, False
    return True, named(row["gold"], answer["answer"]), named(row["gold"], cited_quotes(answer))


def line(label: str, rows: list[dict[str, Any]]) -> str:
    flags = [outcome(r) for r in rows]
    rates = " | ".join(f"{rate([f[i] for f in flags]):.3f}" for i in range(3))
    return f"| {label} | {len(rows)} | {rates} |"


HEADER = "| questions | n | answered | gold named | gold in cited quotes |\n|---|---|---|---|---|"


def report(answers: Path, labels: Path) -> None:
    rows = {r["id"]: r for r in load_jsonl(answers) if r["kind"] == "answerable"}
    audit = load_jsonl(labels)
    print(f"audited by hand: {len(audit)} answerable questions ({labels.name})")
    if SECOND.exists():
        print(_readers_agree(audit, load_jsonl(SECOND)))
    print()
    print(HEADER)
    kinds = Counter(a["label"] for a in audit)
    for label in ("states_recent", "states_old", "incidental"):
        print(
            line(f"{label} ({kinds[label]})", [rows[a["id"]] for a in audit if a["label"] == label])
        )
    states = [rows[a["id"]] for a in audit if _stated(a["label"])]
    print(line("corpus states the answer", states))
    print(line("all audited", [rows[a["id"]] for a in audit]))
    articles, df = load_corpus()
    measured = {q["id"]: evidence(q, articles, df) for q in answerable()}
    print(
        "\nautomatic evidence measure against the hand labels (states = positive): "
        + "; ".join(_agreement(audit, measured, t) for t in (0.3, 0.5, 0.7))
    )
    for split in ("tune", "report"):
        print(f"\n{split} weeks, all answerable questions by evidence measure\n\n{HEADER}")
        part = [r for r in rows.values() if r["split"] == split]
        for lo, hi in STRATA:
            print(
                line(
                    f"evidence {lo:.1f}–{min(hi, 1.0):.1f}",
                    [r for r in part if lo <= measured[r["id"]] < hi],
                )
            )
        held = [r for r in part if measured[r["id"]] >= STATED]
        print(line(f"evidence ≥ {STATED:.1f} (the corpus states the answer)", held))
        print(line("all", part))


def _stated(label: str) -> bool:
    return label.startswith("states")


def _readers_agree(first: list[dict[str, Any]], second: list[dict[str, Any]]) -> str:
    """How often two readers agree on stated / incidental, and Cohen's kappa."""
    by_id = {a["id"]: _stated(a["label"]) for a in first}
    pairs = [(by_id[b["id"]], _stated(b["label"])) for b in second if b["id"] in by_id]
    n = len(pairs)
    observed = sum(x == y for x, y in pairs) / n
    p1, p2 = sum(x for x, _ in pairs) / n, sum(y for _, y in pairs) / n
    chance = p1 * p2 + (1 - p1) * (1 - p2)
    kappa = (observed - chance) / (1 - chance) if chance < 1 else 1.0
    return (
        f"second reader on {n} of them: stated/incidental agree on {observed:.2f}, "
        f"Cohen's kappa {kappa:.2f}; incidental {sum(not x for x, _ in pairs)} (first) "
        f"vs {sum(not y for _, y in pairs)} (second)"
    )


def _agreement(audit: list[dict[str, Any]], measured: dict[str, float], t: float) -> str:
    positive = {a["id"] for a in audit if _stated(a["label"])}
    above = {a["id"] for a in audit if measured[a["id"]] >= t}
    precision = len(positive & above) / len(above) if above else float("nan")
    recall = len(positive & above) / len(positive) if positive else float("nan")
    return f"≥ {t:.1f}: precision {precision:.2f}, recall {recall:.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--n", type=int, default=120)
    s.add_argument("--seed", type=int, default=20261130)
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--exclude", type=Path, default=None, help="labels file: skip its questions")
    r = sub.add_parser("report")
    r.add_argument("--answers", type=Path, required=True, help="quality.py --out file")
    r.add_argument("--labels", type=Path, default=LABELS)
    args = ap.parse_args()
    if args.command == "sample":
        sample(args.n, args.seed, args.out, args.exclude)
    else:
        report(args.answers, args.labels)


if __name__ == "__main__":
    main()
