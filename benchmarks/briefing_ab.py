"""The extractive briefing of one day of an existing store, side by side for several checkouts.

Usage:
  nice python benchmarks/briefing_ab.py --store DIR [--day 2023-11-09] [--rounds 3]
      [--code CHECKOUT ...]

Each round starts one process per checkout, in turn (so load from other processes falls on
all of them alike); a process builds the briefing once untimed (imports, models, page cache)
and then `--builds` times. Prints, per checkout, the median wall and CPU seconds of a build
over all rounds, the stories found and a digest of the briefing, which must agree between
checkouts when a change is meant to keep the output.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import hashlib, json, sys, time
from datetime import date
from bot.briefing.builder import BriefingBuilder
from bot.briefing.window import day_window
from bot.config import Settings
from bot.engine import Engine

store, day, builds = sys.argv[1], sys.argv[2], int(sys.argv[3])
engine = Engine(Settings(data_dir=store, auto_seed=False))
builder = BriefingBuilder(engine.store, engine.settings)
window = day_window(date.fromisoformat(day))
briefing = builder.build(window, [])
walls, cpus = [], []
for _ in range(builds):
    wall, cpu = time.perf_counter(), time.process_time()
    briefing = builder.build(window, [])
    walls.append(time.perf_counter() - wall)
    cpus.append(time.process_time() - cpu)
digest = hashlib.sha256(briefing.model_dump_json(exclude={"generated_at"}).encode()).hexdigest()
print(json.dumps({"walls": walls, "cpus": cpus, "stories": briefing.total_stories,
                  "articles": briefing.total_articles, "digest": digest[:16]}))
"""


def build(code: Path, store: Path, day: str, builds: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(store), day, str(builds)],
        cwd=code,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"briefing failed in {code}:\n{out.stderr[-2000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--day", default="2023-11-09")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--builds", type=int, default=3)
    ap.add_argument("--code", type=Path, action="append", default=[])
    args = ap.parse_args()
    codes = [c.resolve() for c in args.code] or [ROOT]
    runs: dict[Path, list[dict[str, Any]]] = {code: [] for code in codes}
    for _ in range(args.rounds):
        for code in codes:
            runs[code].append(build(code, args.store.resolve(), args.day, args.builds))
    print(f"extractive briefing of {args.day}, {args.rounds} rounds × {args.builds} builds")
    print("| checkout | wall s (median) | CPU s (median) | articles | stories | digest |")
    print("|---|---|---|---|---|---|")
    for code, results in runs.items():
        walls = [w for r in results for w in r["walls"]]
        cpus = [c for r in results for c in r["cpus"]]
        digests = {r["digest"] for r in results}
        last = results[-1]
        print(
            f"| {code.name} | {statistics.median(walls):.3f} | {statistics.median(cpus):.3f}"
            f" | {last['articles']} | {last['stories']} | {', '.join(sorted(map(str, digests)))} |"
        )


if __name__ == "__main__":
    main()
