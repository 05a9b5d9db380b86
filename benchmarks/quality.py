"""Answer quality on real news-quiz questions, through the path users take.

Usage:
  nice python benchmarks/quality.py [--split tune|report|both] [--cache DIR] [--rebuild]
                                    [--out FILE] [--sets answerable,offcorpus,general,crossyear]
                                    [--code CHECKOUT]

The questions and corpus are `../shared/corpora/realtimeqa-dev/` (see its README). The corpus
is ingested once with `briefbot ingest` into a cached data directory (rebuilt when the corpus
file or the ingest code changes); each week's questions are then asked in one
`briefbot ask --json --mode extractive --until WEEK+1d -` process (JSONL over stdin), as a reader
of that week would ask them, without the quiz's choices. `--code` asks with the `briefbot` of
another checkout (e.g. `git archive main`) over the same stores, for a side-by-side comparison
on the same questions (the stores are always ingested by this checkout).

Scores (answerable subset): answered (not abstained); gold named in the answer (case- and
punctuation-folded whole-phrase match); gold inside the cited sources' quotes; every answer
sentence cited. Abstention is scored on three sets:
- `offcorpus.jsonl`: later questions whose answer the corpus never names;
- general (BBC): the quiz questions asked of a store holding only the BBC News 2004–05
  articles (`bbc-news-2225.jsonl.gz`): news the store does not cover at all (easy);
- general (cross-year): 2024 questions asked (with their week's `--until`) of a store holding
  the articles published before 2024 plus BBC, and 2022 questions asked (no `--until`) of a
  store holding the 2024 articles plus BBC, each kept only when its gold answer is named
  nowhere in that store: real questions about events the store never covers, while related
  topics (the same wars, leaders, teams) are there. Nothing was selected or written by hand.

Split: quiz weeks are assigned to tune or report by a hash of the week (`week_split`), across
both years; offcorpus.jsonl and the general sets follow their question's week. Everything is
tuned on the tune weeks; the report weeks are held out. Rows are also given by year (2022 /
2024 weeks), so the old year split stays visible.
Each answer's `confidence` (when the engine reports one) gives the answer-rate / abstention
curve over thresholds from the same run.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.corpora import BBC  # noqa: E402
from benchmarks.corpora import REALTIMEQA as RTQA  # noqa: E402

# Code whose change makes a cached store stale: what ingest writes and how it is indexed.
INGEST_CODE = (
    "bot/ingest",
    "bot/store/migrations.py",
    "bot/store/neardups.py",
    "bot/text/words.py",
    "bot/text/plain.py",
    "bot/text/markup.py",
    "bot/text/minhash.py",
    "bot/text/normalize.py",
)
CURVE = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9)
SETS = ("answerable", "offcorpus", "general", "crossyear")
# The cross-year stores: 2024 questions are asked of the articles published before this date,
# 2022 questions of the articles published from it on.
CROSS_YEAR = "2024-01-01"


@dataclass
class Asked:
    """One question with where it belongs and what the engine answered."""

    id: str
    question: str
    gold: str
    split: str  # tune | report (by the week's hash)
    kind: str  # answerable | offcorpus | general | crossyear
    until: str | None
    year: str = ""  # of the quiz week
    week: str = ""
    answer: dict[str, Any] = field(default_factory=dict)


def week_split(week: str) -> str:
    """Tune or report, by a hash of the quiz week: both years on both sides, and a week's
    questions (which share their news) never on both."""
    digest = hashlib.sha256(f"rtqa-week:{week}".encode()).hexdigest()
    return "tune" if int(digest, 16) % 2 == 0 else "report"


def fold(text: str) -> str:
    """Case- and punctuation-folded, accents dropped, single-spaced."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def named(gold: str, text: str) -> bool:
    g = fold(gold)
    return bool(g) and f" {g} " in f" {fold(text)} "


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def week_until(week: str) -> str:
    return (datetime.strptime(week, "%Y%m%d").date() + timedelta(days=1)).isoformat()


def one_line(text: str) -> str:
    return " ".join(text.split())


def load_questions(sets: Iterable[str], cache: Path | None = None) -> list[Asked]:
    """The questions of `sets`; "crossyear" needs `cache` (where its stores' corpora are)."""
    wanted = set(sets)
    rows = load_jsonl(RTQA / "questions.jsonl")
    asked: list[Asked] = []
    for r in rows:
        split, year, q = week_split(r["week"]), r["week"][:4], one_line(r["question"])
        if "answerable" in wanted and r["answerable"]:
            until = week_until(r["week"])
            asked.append(Asked(r["id"], q, r["gold"], split, "answerable", until, year, r["week"]))
        if "general" in wanted:
            asked.append(
                Asked(f"general:{r['id']}", q, r["gold"], split, "general", None, year, r["week"])
            )
    if "offcorpus" in wanted:
        for r in load_jsonl(RTQA / "offcorpus.jsonl"):
            split, q, until = week_split(r["week"]), one_line(r["question"]), week_until(r["week"])
            asked.append(
                Asked(f"off:{r['id']}", q, r["gold"], split, "offcorpus", until, "2025", r["week"])
            )
    if "crossyear" in wanted:
        if cache is None:
            raise ValueError("the cross-year set needs the cache directory")
        asked += cross_year_questions(rows, cache)
    return asked


def year_corpus(cache: Path, part: str) -> Path:
    """The quiz corpus's articles published before CROSS_YEAR ("before") or from it ("after"),
    written once into the cache."""
    path = cache / f"rtqa-{part}-{CROSS_YEAR}.jsonl.gz"
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with (
        gzip.open(RTQA / "corpus.jsonl.gz", "rt", encoding="utf-8") as src,
        gzip.open(partial, "wt", encoding="utf-8") as out,
    ):
        for line in src:
            when = json.loads(line).get("published_at") or ""
            if bool(when) and (when < CROSS_YEAR) == (part == "before"):
                out.write(line)
    partial.replace(path)
    return path


def cross_year_questions(rows: list[dict[str, Any]], cache: Path) -> list[Asked]:
    """2024 questions for the "before" store (asked that week), 2022 questions for the "after"
    store (asked with no date), each kept only if its gold is named nowhere in that store."""
    golds = {fold(r["gold"]) for r in rows} - {""}
    known = cache / f"cross-year-{CROSS_YEAR}-golds.json"
    if not known.exists():
        found = {part: sorted(_phrases_named(golds, year_corpus(cache, part))) for part in PARTS}
        known.write_text(json.dumps(found))
    named_in = {part: set(v) for part, v in json.loads(known.read_text()).items()}
    asked = []
    for r in rows:
        year = r["week"][:4]
        part = "before" if year >= CROSS_YEAR[:4] else "after"
        gold = fold(r["gold"])
        if not gold or gold in named_in[part]:
            continue
        until = week_until(r["week"]) if part == "before" else None
        q, split = one_line(r["question"]), week_split(r["week"])
        asked.append(
            Asked(f"cross:{r['id']}", q, r["gold"], split, "crossyear", until, year, r["week"])
        )
    return asked


PARTS = ("before", "after")


def _phrases_named(phrases: set[str], corpus: Path) -> set[str]:
    """Which of the folded `phrases` occur as whole phrases in the corpus or in BBC."""
    by_first: dict[str, list[list[str]]] = defaultdict(list)
    for p in phrases:
        first, *rest = p.split()
        by_first[first].append(rest)
    found: set[str] = set()
    for path, body in ((corpus, "text"), (BBC, "body")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for r in map(json.loads, fh):
                toks = fold(f"{r['title']} . {r[body]}").split()
                for i, t in enumerate(toks):
                    for rest in by_first.get(t, ()):
                        if toks[i + 1 : i + 1 + len(rest)] == rest:
                            found.add(" ".join([t, *rest]))
    return found


def code_stamp(*corpus: Path) -> str:
    """Digest of the corpus files' size/mtime and of the ingest code."""
    h = hashlib.sha256()
    for path in corpus:
        st = path.stat()
        h.update(f"{path.name}:{st.st_size}:{int(st.st_mtime)}".encode())
    for rel in INGEST_CODE:
        p = ROOT / rel
        for f in sorted(p.rglob("*.py")) if p.is_dir() else [p]:
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def cli(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None, code: Path = ROOT
) -> str:
    """`briefbot ARGS` as a process, run from the checkout `code` (its `bot` package)."""
    proc = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=code,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"briefbot {args[0]} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return proc.stdout


def ensure_store(data_dir: Path, corpora: Path | list[Path], rebuild: bool) -> None:
    """`briefbot ingest` the corpora into `data_dir` unless a current copy is there."""
    files = [corpora] if isinstance(corpora, Path) else corpora
    stamp = data_dir / "corpus.stamp"
    want = code_stamp(*files)
    if not rebuild and stamp.exists() and stamp.read_text() == want:
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    for f in data_dir.glob("briefbot.sqlite3*"):
        shutil.rmtree(f) if f.is_dir() else f.unlink()
    for corpus in files:
        start = time.perf_counter()
        report = json.loads(
            cli("ingest", str(corpus), "--json", "--data-dir", str(data_dir), "--no-seeds")
        )
        print(
            f"# ingested {corpus.name}: {report['added']:,} added, {report['duplicates']:,} "
            f"duplicates, {len(report['rejected'])} rejected in {time.perf_counter() - start:.0f}s",
            file=sys.stderr,
        )
    stamp.write_text(want)


def store_for(a: Asked, cache: Path, rebuild: bool = False) -> Path:
    """The data directory a question is asked of (ingested on first use)."""
    if a.kind in ("answerable", "offcorpus"):
        name, corpora = "rtqa", [RTQA / "corpus.jsonl.gz"]
    elif a.kind == "general":
        name, corpora = "bbc", [BBC]
    else:
        part = "before" if a.year >= CROSS_YEAR[:4] else "after"
        name, corpora = f"cross-{part}", [year_corpus(cache, part), BBC]
    ensure_store(cache / name, corpora, rebuild)
    return cache / name


def ask_all(asked: list[Asked], data_dir: Path, env: dict[str, str], code: Path = ROOT) -> None:
    """One `briefbot ask --json -` process per (until) group; answers stored on each item."""
    groups: dict[str | None, list[Asked]] = defaultdict(list)
    for a in asked:
        groups[a.until].append(a)
    for n, (until, items) in enumerate(sorted(groups.items(), key=lambda kv: kv[0] or ""), 1):
        args = [
            "ask",
            "-",
            "--json",
            "--mode",
            "extractive",
            "--data-dir",
            str(data_dir),
            "--no-seeds",
        ]
        if until:
            args += ["--until", until]
        out = cli(*args, stdin="".join(a.question + "\n" for a in items), env=env, code=code)
        answers = [json.loads(line) for line in out.splitlines() if line.strip()]
        if len(answers) != len(items):
            raise SystemExit(f"{len(items)} questions but {len(answers)} answers (until {until})")
        for a, answer in zip(items, answers, strict=True):
            a.answer = answer
        print(f"\r# {n}/{len(groups)} groups", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def cited_quotes(answer: dict[str, Any]) -> str:
    cited = {n for s in answer.get("sentences", []) for n in s.get("citations", [])}
    return " \n ".join(s.get("quote", "") for s in answer.get("sources", []) if s["n"] in cited)


def all_cited(answer: dict[str, Any]) -> bool:
    sentences = answer.get("sentences", [])
    return bool(sentences) and all(s.get("citations") for s in sentences)


def confidence(answer: dict[str, Any]) -> float | None:
    value = answer.get("confidence")
    return float(value) if value is not None else None


def rate(flags: list[bool]) -> float:
    return sum(flags) / len(flags) if flags else float("nan")


def scores(asked: list[Asked]) -> dict[str, float]:
    inn = [a for a in asked if a.kind == "answerable"]
    answered = [a for a in inn if not a.answer["abstained"]]
    row = {
        "n": float(len(inn)),
        "answered": rate([not a.answer["abstained"] for a in inn]),
        "gold named": rate(
            [bool(not a.answer["abstained"] and named(a.gold, a.answer["answer"])) for a in inn]
        ),
        "gold in quotes": rate(
            [bool(not a.answer["abstained"] and named(a.gold, cited_quotes(a.answer))) for a in inn]
        ),
        "all cited": rate([all_cited(a.answer) for a in answered]),
    }
    for kind in ("offcorpus", "general", "crossyear"):
        items = [a for a in asked if a.kind == kind]
        row[f"abstain {kind}"] = rate([a.answer["abstained"] for a in items])
    return row


def curve(asked: list[Asked]) -> list[tuple[float, dict[str, float]]]:
    """Scores if answers below each confidence threshold had abstained (one run, no re-ask)."""
    if any(confidence(a.answer) is None for a in asked if not a.answer["abstained"]):
        return []
    points = []
    for t in CURVE:
        shifted = []
        for a in asked:
            c = confidence(a.answer)
            answer = dict(a.answer)
            if c is not None and c < t:
                answer["abstained"] = True
            shifted.append(
                Asked(a.id, a.question, a.gold, a.split, a.kind, a.until, a.year, a.week, answer)
            )
        points.append((t, scores(shifted)))
    return points


COLUMNS = (
    "answered",
    "gold named",
    "gold in quotes",
    "all cited",
    "abstain offcorpus",
    "abstain general",
    "abstain crossyear",
)


def table(rows: list[tuple[str, dict[str, float]]]) -> str:
    lines = ["| split | n | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 2) + "|"]
    for label, row in rows:
        cells = " | ".join(f"{row[c]:.3f}" for c in COLUMNS)
        lines.append(f"| {label} | {int(row['n'])} | {cells} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("tune", "report", "both"), default="both")
    ap.add_argument("--sets", default=",".join(SETS), help=",".join(SETS))
    ap.add_argument("--cache", type=Path, default=Path("/tmp/briefbot-quality-rtqa"))
    ap.add_argument("--rebuild", action="store_true", help="ingest again even if cached")
    ap.add_argument("--out", type=Path, default=None, help="write every answer (JSONL) here")
    ap.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="BRIEFBOT_X=V",
        help="setting for the asking processes (ablations, thresholds)",
    )
    ap.add_argument("--limit", type=int, default=None, help="every Nth question (quick runs)")
    ap.add_argument(
        "--code", type=Path, default=ROOT, help="checkout whose briefbot answers (default: this)"
    )
    args = ap.parse_args()
    env = dict(kv.split("=", 1) for kv in args.env)
    sets = [s for s in args.sets.split(",") if s]
    asked = [a for a in load_questions(sets, args.cache) if args.split in ("both", a.split)]
    if args.limit:
        asked = asked[:: args.limit]
    start = time.perf_counter()
    by_store: dict[Path, list[Asked]] = defaultdict(list)
    for a in asked:
        by_store[store_for(a, args.cache, args.rebuild)].append(a)
    for data_dir, items in by_store.items():
        ask_all(items, data_dir, env, args.code.resolve())
    seconds = time.perf_counter() - start
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("w", encoding="utf-8") as fh:
            for a in asked:
                fh.write(json.dumps(a.__dict__, ensure_ascii=False) + "\n")
    print(
        f"realtimeqa-dev, extractive, production CLI path; {date.today().isoformat()}, "
        f"{len(asked)} questions in {seconds:.0f}s; settings {env or 'default'}; "
        f"code {args.code.resolve()}\n"
    )
    print(table(report_rows(asked)))
    splits = ["tune", "report"] if args.split == "both" else [args.split]
    for label in splits:
        points = curve([a for a in asked if a.split == label])
        if points:
            print(
                f"\nconfidence threshold curve ({label}; thresholds below the run's own change "
                "nothing: run with --env BRIEFBOT_ABSTAIN_THRESHOLD=0 to see them):\n"
            )
            print(table([(f"≥ {t:.2f}", row) for t, row in points]))


def report_rows(asked: list[Asked]) -> list[tuple[str, dict[str, float]]]:
    """Rows by split (tune / report weeks), each by year, and by year over all weeks (the
    former year split: 2022 tuned, 2024 reported; off-corpus questions are all 2025)."""
    rows = []
    for split in ("tune", "report"):
        part = [a for a in asked if a.split == split]
        if not part:
            continue
        rows.append((split, scores(part)))
        for year in ("2022", "2024"):
            rows.append(
                (f"{split}, {year} weeks", scores([a for a in part if a.year in (year, "2025")]))
            )
    for year in ("2022", "2024"):
        rows.append((f"all {year} weeks", scores([a for a in asked if a.year in (year, "2025")])))
    return rows


if __name__ == "__main__":
    main()
