"""What every benchmark report shares: the line saying where it ran, the rewrite of the
benchmark's own section of docs/benchmarks.md (the other sections are left as they are), and
the timing of fresh `briefbot ask` processes."""

from __future__ import annotations

import compileall
import json
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"


def machine() -> str:
    """Architecture, cores, the 1-minute load average (other jobs share the machine), Python."""
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f},"
        f" Python {platform.python_version()}"
    )


def write_section(section: str, text: str, path: Path = DOCS) -> None:
    """Replace the part of `path` from the heading `section` to the next `## ` heading with
    `text` (which starts with that heading), or append `text` when the section is new."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    start = old.find(section)
    if start == -1:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        nxt = old.find("\n## ", start + len(section))
        new = old[:start] + text + (old[nxt + 1 :] if nxt != -1 else "")
    path.write_text(new.rstrip("\n") + "\n", encoding="utf-8")


def machine_record() -> dict[str, Any]:
    """`machine()` as fields, for a benchmark's JSON figures."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "load_avg_start": os.getloadavg(),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
    }


def child_env() -> dict[str, str]:
    """This checkout importable, and none of the caller's BRIEFBOT_* settings leaking in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def compile_package(code: Path = ROOT) -> None:
    """Byte-compile the checkout's `bot` package, as installing the wheel does: run from an
    editable checkout with PYTHONDONTWRITEBYTECODE set (as on these machines), every cold
    start would otherwise compile each module from source, which no installed copy does."""
    compileall.compile_dir(code / "bot", quiet=1)


def cold_ask(data_dir: Path, questions: list[str], runs: int) -> dict[str, Any]:
    """Wall and CPU time of fresh `python -m bot ask` processes on the store in `data_dir`
    (interpreter start included, and measured alone for comparison), bytecode precompiled."""
    env = child_env()
    compile_package()

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def run(cmd: list[str]) -> tuple[float, float]:
        started, started_cpu = time.perf_counter(), children_cpu()
        subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=data_dir)
        return time.perf_counter() - started, children_cpu() - started_cpu

    base = [sys.executable, "-m", "bot", "ask", "--data-dir", str(data_dir), "--no-seeds"]
    times = [run([*base, "--json", q]) for q in questions[:runs]]
    bare = [run([sys.executable, "-c", "pass"])[0] for _ in range(runs)]
    return {
        "runs": len(times),
        "median_s": statistics.median(t for t, _ in times),
        "max_s": max(t for t, _ in times),
        "cpu_median_s": statistics.median(c for _, c in times),
        "python_startup_s": statistics.median(bare),
    }


def run_worker(script: Path, kind: str, **args: Any) -> dict[str, Any]:
    """One measurement stage in its own process (its peak RSS is its own): `script kind ARGS`
    prints its figures as the last line of JSON; a failure raises with the worker's stderr."""
    out = subprocess.run(
        [sys.executable, str(script), kind, json.dumps(args, default=str)],
        check=False,
        capture_output=True,
        text=True,
        env=child_env(),
    )
    if out.returncode != 0:
        raise RuntimeError(f"{kind} worker failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))
