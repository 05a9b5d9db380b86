"""Answer quality on real news-quiz questions, through the path users take.

Usage:
  nice python benchmarks/quality.py [--split tune|report|both] [--cache DIR] [--rebuild]
                                    [--out DIR] [--sets answerable,offcorpus,general]

The questions and corpus are `../shared/corpora/realtimeqa-dev/` (see its README). The corpus
is ingested once with `briefbot ingest` into a cached data directory (rebuilt when the corpus
file or the ingest code changes); each week's questions are then asked in one
`briefbot ask --json --mode extractive --until WEEK+1d -` process (JSONL over stdin), as a reader
of that week would ask them, without the quiz's choices.

Scores (answerable subset): answered (not abstained); gold named in the answer (case- and
punctuation-folded whole-phrase match); gold inside the cited sources' quotes; every answer
sentence cited. Abstention is scored on two sets:
- `offcorpus.jsonl`: later questions whose answer the corpus never names;
- general off-corpus questions: the same quiz questions asked of a store holding only the
  BBC News 2004–05 articles (`bbc-news-2225.jsonl.gz`), whose topics are absent from it. Real
  questions nobody here wrote, on news the store does not cover; nothing was selected or
  written for this.

Split: questions of 2022 weeks tune, 2024 weeks report (`offcorpus.jsonl` and the general set
split the same way: offcorpus by alternating week, general by the question's year).
Each answer's `confidence` (when the engine reports one) gives the answer-rate / abstention
curve over thresholds from the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
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
CURVE = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
SETS = ("answerable", "offcorpus", "general")


@dataclass
class Asked:
    """One question with where it belongs and what the engine answered."""

    id: str
    question: str
    gold: str
    split: str
    kind: str  # answerable | offcorpus | general
    until: str | None
    answer: dict[str, Any] = field(default_factory=dict)


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


def load_questions(sets: Iterable[str]) -> list[Asked]:
    wanted = set(sets)
    rows = load_jsonl(RTQA / "questions.jsonl")
    asked: list[Asked] = []
    for r in rows:
        split = "tune" if r["week"].startswith("2022") else "report"
        if "answerable" in wanted and r["answerable"]:
            asked.append(
                Asked(
                    r["id"],
                    one_line(r["question"]),
                    r["gold"],
                    split,
                    "answerable",
                    week_until(r["week"]),
                )
            )
        if "general" in wanted:
            asked.append(
                Asked(
                    f"general:{r['id']}", one_line(r["question"]), r["gold"], split, "general", None
                )
            )
    if "offcorpus" in wanted:
        off = load_jsonl(RTQA / "offcorpus.jsonl")
        weeks = sorted({r["week"] for r in off})
        for r in off:
            split = "tune" if weeks.index(r["week"]) % 2 == 0 else "report"
            asked.append(
                Asked(
                    f"off:{r['id']}",
                    one_line(r["question"]),
                    r["gold"],
                    split,
                    "offcorpus",
                    week_until(r["week"]),
                )
            )
    return asked


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


def cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"briefbot {args[0]} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return proc.stdout


def ensure_store(data_dir: Path, corpus: Path, rebuild: bool) -> None:
    """`briefbot ingest` the corpus into `data_dir` unless a current copy is there."""
    stamp = data_dir / "corpus.stamp"
    want = code_stamp(corpus)
    if not rebuild and stamp.exists() and stamp.read_text() == want:
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    for f in data_dir.glob("briefbot.sqlite3*"):
        f.unlink()
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


def ask_all(asked: list[Asked], data_dir: Path, env: dict[str, str]) -> None:
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
        out = cli(*args, stdin="".join(a.question + "\n" for a in items), env=env)
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
    for kind in ("offcorpus", "general"):
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
            shifted.append(Asked(a.id, a.question, a.gold, a.split, a.kind, a.until, answer))
        points.append((t, scores(shifted)))
    return points


COLUMNS = (
    "answered",
    "gold named",
    "gold in quotes",
    "all cited",
    "abstain offcorpus",
    "abstain general",
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
    ap.add_argument("--sets", default=",".join(SETS), help="answerable,offcorpus,general")
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
    args = ap.parse_args()
    env = dict(kv.split("=", 1) for kv in args.env)
    sets = [s for s in args.sets.split(",") if s]
    asked = [a for a in load_questions(sets) if args.split in ("both", a.split)]
    if args.limit:
        asked = asked[:: args.limit]
    start = time.perf_counter()
    news = args.cache / "rtqa"
    if any(a.kind != "general" for a in asked):
        ensure_store(news, RTQA / "corpus.jsonl.gz", args.rebuild)
        ask_all([a for a in asked if a.kind != "general"], news, env)
    if any(a.kind == "general" for a in asked):
        bbc = args.cache / "bbc"
        ensure_store(bbc, BBC, args.rebuild)
        ask_all([a for a in asked if a.kind == "general"], bbc, env)
    seconds = time.perf_counter() - start
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("w", encoding="utf-8") as fh:
            for a in asked:
                fh.write(json.dumps(a.__dict__, ensure_ascii=False) + "\n")
    splits = ["tune", "report"] if args.split == "both" else [args.split]
    rows = [(s, scores([a for a in asked if a.split == s])) for s in splits]
    if args.split == "both":
        rows.append(("both", scores(asked)))
    print(
        f"realtimeqa-dev, extractive, production CLI path; {date.today().isoformat()}, "
        f"{len(asked)} questions in {seconds:.0f}s; settings {env or 'default'}\n"
    )
    print(table(rows))
    for label in splits:
        points = curve([a for a in asked if a.split == label])
        if points:
            print(f"\nconfidence threshold curve ({label}):\n")
            print(table([(f"≥ {t:.1f}", row) for t, row in points]))


if __name__ == "__main__":
    main()
