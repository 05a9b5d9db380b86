"""Cold `briefbot ask` on the bundled seed corpus: one fresh process per ask.

Usage:
  nice python benchmarks/cold_ask.py [--runs 5] [--code CHECKOUT ...] [--store DIR] [QUESTION ...]

`--store` asks an existing data directory instead (e.g. perf.py's 253,684-item store; no seeds),
shared by the checkouts.

Each checkout (default: this one) gets its own data directory with the seed ingested by a first,
untimed ask, and its `bot` package byte-compiled as a wheel install would; then every question
is asked `--runs` times per checkout, the checkouts taking turns so that load from other
processes falls on all of them alike. Prints, per checkout and question, the median wall time,
the median CPU time of the process (user + system, from `wait4`) and its peak RSS, and whether
the process loaded the wordllama model (its weights are safetensors: the package, or only its
files).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.reporting import compile_package  # noqa: E402

QUESTIONS = ("What hit Ain al-Asad?", "How many Palestinians have been injured?")
# Printed by the child after its answer: whether the word-embedding model was loaded.
PROBE = (
    "import runpy, sys; sys.argv = ['bot', *sys.argv[1:]]\n"
    "try:\n    runpy.run_module('bot', run_name='__main__')\n"
    "finally:\n    print('safetensors' in sys.modules, file=sys.stderr)\n"
)


def ask(
    code: Path, data_dir: Path, question: str, seeds: bool = True
) -> tuple[float, float, float, bool]:
    """Wall s, CPU s, peak RSS MB of one fresh `briefbot ask`, and whether it loaded wordllama."""
    start = time.perf_counter()
    extra = [] if seeds else ["--no-seeds"]
    proc = subprocess.Popen(
        [sys.executable, "-c", PROBE, "ask", "--data-dir", str(data_dir), *extra, question],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=code,
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"briefbot ask failed in {code}:\n{err[-2000:]}")
    loaded = err.strip().splitlines()[-1] == "True"
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, loaded


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions", nargs="*", default=list(QUESTIONS))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--code", type=Path, action="append", default=[])
    ap.add_argument("--store", type=Path, help="an existing data directory (no seeds)")
    args = ap.parse_args()
    codes = [c.resolve() for c in args.code] or [ROOT]
    seeds = args.store is None
    with tempfile.TemporaryDirectory(prefix="briefbot-cold-") as tmp:
        if seeds:
            dirs = {code: Path(tmp) / str(i) for i, code in enumerate(codes)}
        else:
            dirs = {code: args.store.resolve() for code in codes}
        for code, data_dir in dirs.items():
            compile_package(code)
            ask(code, data_dir, "seed", seeds)  # ingests the seed corpus; warms the page cache
        results: dict[tuple[Path, str], list[tuple[float, float, float, bool]]] = {}
        for _ in range(args.runs):
            for question in args.questions:
                for code, data_dir in dirs.items():
                    results.setdefault((code, question), []).append(
                        ask(code, data_dir, question, seeds)
                    )
    corpus = "the seed" if seeds else str(args.store)
    print(f"cold `briefbot ask` on {corpus}, median of {args.runs} fresh processes")
    print("| checkout | question | wall s | CPU s | peak RSS MB | wordllama loaded |")
    print("|---|---|---|---|---|---|")
    for (code, question), runs in results.items():
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        loaded = sum(r[3] for r in runs)
        print(
            f"| {code.name} | {question} | {wall:.3f} | {cpu:.3f} | {max(r[2] for r in runs):.0f}"
            f" | {loaded}/{len(runs)} |"
        )


if __name__ == "__main__":
    main()
