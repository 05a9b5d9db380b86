"""Benchmark: the briefing for one busy day of the RSS corpus (wall time, peak RSS, stories).

    python benchmarks/briefing.py [--corpus PATH] [--date 2023-10-17] [--runs 5]

Ingests that day's items (and the day before, so the window has neighbours) into a temporary
data dir in a child process, then times `BriefingBuilder.build` for the UTC day here, so the
peak RSS is the briefing's (plus imports), not the ingest's. Prints Markdown for
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)
sys.path.insert(0, ROOT)

from benchmarks.corpora import RSS  # noqa: E402
from benchmarks.reporting import machine  # noqa: E402
from bot.briefing.builder import BriefingBuilder  # noqa: E402
from bot.briefing.render import render_text  # noqa: E402
from bot.briefing.window import day_window  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.engine import Engine  # noqa: E402

DEFAULT_CORPUS = RSS


def day_items(corpus: Path, days: set[str]) -> list[dict]:
    with gzip.open(corpus, "rt", encoding="utf-8") as f:
        return [r for line in f if (r := json.loads(line)).get("published_at", "")[:10] in days]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--date", type=date.fromisoformat, default=date(2023, 10, 17))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    day = args.date
    wanted = {day.isoformat(), (day - timedelta(days=1)).isoformat()}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "items.jsonl"
        items = day_items(args.corpus, wanted)
        with src.open("w", encoding="utf-8") as f:
            for item in items:
                f.write(json.dumps(item) + "\n")
        settings = Settings(data_dir=Path(tmp) / "data", auto_seed=False)
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "bot", "ingest", str(src), "--json", "--no-seeds"],
            capture_output=True,
            text=True,
            check=True,
            env={
                **os.environ,
                "BRIEFBOT_DATA_DIR": str(settings.store.data_dir),
                "PYTHONPATH": ROOT,
            },
        )
        ingest_s = time.perf_counter() - t0
        report = json.loads(done.stdout)
        engine = Engine(settings)
        builder = BriefingBuilder(engine.store, settings)
        window = day_window(day)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        times = []
        briefing = None
        for _ in range(args.runs):
            t = time.perf_counter()
            briefing = builder.build(window)
            times.append(time.perf_counter() - t)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        engine.close()
    assert briefing is not None
    in_window = briefing.total_articles
    print("## Briefings (issue 5)\n")
    print(
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}: "
        f"`python benchmarks/briefing.py --date {day}`.\n"
    )
    print(
        f"- corpus: {len(items):,} items of {', '.join(sorted(wanted))} ingested "
        f"({report['added']:,} added, {report['duplicates']:,} duplicates) in {ingest_s:.1f} s"
    )
    print(
        f"- window {day} UTC: {in_window:,} articles from {briefing.total_sources} sources, "
        f"{briefing.total_stories:,} stories"
    )
    print(
        f"- build wall time (median of {args.runs}): {statistics.median(times):.2f} s "
        f"(min {min(times):.2f}, max {max(times):.2f}); floor 5 s"
    )
    print(
        f"- peak RSS of the briefing process: {rss_after / 1024:.0f} MB "
        f"(after imports and opening the database: {rss_before / 1024:.0f} MB)"
    )
    print(f"- top stories ({len(briefing.stories)}), as `briefbot brief --date {day}` prints:\n")
    print("```text")
    print(render_text(briefing))
    print("```")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
