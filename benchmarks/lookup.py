"""Look-up Hit@10: find an RSS item by the first 12 words of its text, through the answer path.

Usage:
  nice python benchmarks/lookup.py [--items 20000] [--queries 1000] [--cache DIR]

The first `--items` items of the RSS corpus are ingested with `briefbot ingest` (cached); a
fixed-seed sample of items with at least 150 characters of text gives the queries (the first
12 words of the text, as stored). Each query goes through `AnswerPipeline.find`, the
retrieval step every answer takes (time words, their relaxation, fusion), and counts as a hit
when the item (or a stored article with the same title: feeds repeat stories) is among the
top 10 distinct articles. Such texts often hold "today", a weekday or a date: the look-up
shows whether those words wrongly filter the search.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpora import RSS
from bot.config import Settings
from bot.engine import Engine
from bot.retrieval.timewords import parse_time_words
from bot.store.timefmt import utcnow


def apply_settings(assignments: list[str]) -> None:
    """`module.NAME=VALUE` changes a module constant (for ablations)."""
    for item in assignments:
        target, value = item.split("=", 1)
        module, name = target.rsplit(".", 1)
        mod = importlib.import_module(module)
        current = getattr(mod, name)
        setattr(mod, name, value == "1" if isinstance(current, bool) else type(current)(value))


def build(cache: Path, items: int) -> None:
    if (cache / "briefbot.sqlite3").exists():
        return
    cache.mkdir(parents=True, exist_ok=True)
    prefix = cache / "items.jsonl.gz"
    with gzip.open(RSS, "rt", encoding="utf-8") as src, gzip.open(prefix, "wt") as out:
        for n, line in enumerate(src):
            if n >= items:
                break
            out.write(line)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "ingest",
            str(prefix),
            "--data-dir",
            str(cache),
            "--no-seeds",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def queries(db: Path, size: int, seed: int) -> list[tuple[int, str, str]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = conn.execute(
        "SELECT id, title, substr(text, 1, 400), length(text) FROM articles ORDER BY id"
    ).fetchall()
    conn.close()
    eligible = [(i, t, " ".join(text.split()[:12])) for i, t, text, n in rows if n >= 150]
    return random.Random(seed).sample(eligible, min(size, len(eligible)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=20000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/briefbot-lookup"))
    ap.add_argument("--set", action="append", default=[], metavar="MODULE.NAME=VALUE")
    args = ap.parse_args()
    apply_settings(args.set)
    cache = args.cache / str(args.items)
    build(cache, args.items)
    engine = Engine(Settings(data_dir=cache, auto_seed=False))
    picked = queries(engine.settings.database, args.queries, args.seed)
    hits, timed, misses = 0, 0, []
    start = time.perf_counter()
    for article_id, title, q in picked:
        found = engine.pipeline.find(q, q, 10, None)
        order: list[int] = []
        titles: dict[int, str] = {}
        for p in found.result.passages:
            if p.article_id not in order:
                order.append(p.article_id)
                titles[p.article_id] = p.title
        top = order[:10]
        hit = article_id in top or any(titles[a] == title for a in top)
        hits += hit
        scoped = parse_time_words(q, utcnow()).has_window
        timed += scoped
        if not hit:
            misses.append({"q": q, "time_words": scoped})
    seconds = time.perf_counter() - start
    engine.close()
    n = len(picked)
    print(
        f"{args.items:,} items, {n} look-ups ({timed} with time words) in {seconds:.0f}s: "
        f"Hit@10 {hits / n:.3f}"
    )
    for m in misses[:20]:
        print(" miss:", json.dumps(m, ensure_ascii=False))


if __name__ == "__main__":
    main()
