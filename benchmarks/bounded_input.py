"""Peak memory of `briefbot ingest` on hostile files: a gzip whose one line expands to
gigabytes, a .json.gz read whole, a plain 50 MB JSON line.

    python benchmarks/bounded_input.py                       # this checkout, the issue's sizes
    python benchmarks/bounded_input.py --baseline ../old --scale 0.05   # side by side

Each case runs `briefbot ingest` in its own process (peak RSS is that process's ru_maxrss)
with the default settings, beside a file of 2,000 ordinary articles that must still be added. Files
are generated in a temporary folder and deleted. `--baseline` runs a second checkout (for
example the code before the caps) on the same files; keep `--scale` small for it, since it
holds whole lines in memory. `--write-docs` replaces this section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.reporting import machine, write_section  # noqa: E402

SECTION = "## Bounded memory for hostile input (issue 10)"
CHUNK = 1 << 20
RUNNER = (
    "import resource, sys\n"
    "from bot.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('maxrss_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _ordinary(path: Path, n: int = 2000) -> None:
    """`n` distinct ordinary articles: they must all be added beside the hostile file."""
    rng = random.Random(10)
    vocab = [
        f"{a}{b}"
        for a in ("har", "cou", "fer", "bri", "riv", "flo", "sto")
        for b in ("bour", "ncil", "ry", "dge", "er", "od", "rm", "al", "ent", "ion")
    ]
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            text = " ".join(rng.choice(vocab) for _ in range(120))
            item = {"title": f"Story {i}", "text": text + ".", "url": f"https://example.org/{i}"}
            out.write(json.dumps(item) + "\n")


def _write_line_gz(path: Path, size: int) -> None:
    """One line of `size` bytes of text (gzip: a few MB on disk per GB)."""
    with gzip.open(path, "wb", compresslevel=6) as out:
        out.write(b'{"title": "Huge", "text": "')
        block = b"flood " * (CHUNK // 6)
        for _ in range(size // len(block)):
            out.write(block)
        out.write(b'"}\n')


def _write_json_gz(path: Path, size: int) -> None:
    """A JSON array expanding to `size` bytes (read whole, so only up to the file cap)."""
    item = json.dumps({"title": "Copy", "text": "tide " * 200}).encode()
    with gzip.open(path, "wb", compresslevel=6) as out:
        out.write(b"[")
        written = 0
        while written < size:
            out.write(item + b",")
            written += len(item) + 1
        out.write(item + b"]")


def _write_plain_line(path: Path, size: int) -> None:
    path.write_bytes(b'{"title": "Long", "text": "' + b"word " * (size // 5) + b'"}\n')


def _run(checkout: Path, files: list[Path], data: Path) -> dict[str, float | int | str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env["PYTHONPATH"] = str(checkout)
    started = time.perf_counter()
    command = [sys.executable, "-c", RUNNER, "ingest", *map(str, files)]
    proc = subprocess.run(
        [*command, "--json", "--data-dir", str(data)],
        cwd=data.parent,  # not the repository: `python -c` imports from the working directory
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    seconds = time.perf_counter() - started
    rss = next(
        (int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("maxrss_kb")),
        0,
    )
    added: int | str = "crashed"
    reasons = ""
    if proc.returncode in (0, 1) and proc.stdout.strip():
        report = json.loads(proc.stdout)
        added = report["added"]
        reasons = "; ".join(sorted({r["reason"][:70] for r in report["rejected"]}))
    elif proc.stderr:
        reasons = proc.stderr.strip().splitlines()[-1][:90]
    return {"seconds": seconds, "peak_mb": rss / 1024, "added": added, "why": reasons}


CASES = {  # label (with the size after --scale), file name, writer, size in bytes
    "one {} line in a .jsonl.gz": ("line.jsonl.gz", _write_line_gz, 3_000_000_000),
    "a .json.gz expanding to {}": ("array.json.gz", _write_json_gz, 2_000_000_000),
    "a plain {} JSON line": ("long.jsonl", _write_plain_line, 50_000_000),
}


def _size(n: float) -> str:
    return f"{n / 1e9:g} GB" if n >= 1e9 else f"{n / 1e6:g} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every size")
    parser.add_argument("--baseline", type=Path, help="another checkout to run side by side")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    checkouts = {"this checkout": REPO}
    if args.baseline:
        checkouts["baseline"] = args.baseline.resolve()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        ordinary = Path(tmp) / "ordinary.jsonl"
        _ordinary(ordinary)
        for template, (name, write, full) in CASES.items():
            size = int(full * args.scale)
            label = template.format(_size(size))
            path = Path(tmp) / name
            started = time.perf_counter()
            write(path, size)
            made = time.perf_counter() - started
            on_disk = path.stat().st_size / 1e6
            for who, checkout in checkouts.items():
                result = _run(checkout, [path, ordinary], Path(tmp) / f"data-{who}-{name}")
                rows.append((label, on_disk, who, result))
                print(label, f"{on_disk:.1f} MB on disk ({made:.0f} s to make)", who, result)
            path.unlink()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    flags = (f" --scale {args.scale}" if args.scale != 1 else "") + (
        " --baseline …" if args.baseline else ""
    )
    lines = [
        SECTION,
        "",
        f"`python benchmarks/bounded_input.py{flags}` on {stamp}, {machine()}, default settings "
        "(file cap 500 MB, record cap 8 MB); each run also ingests a file of 2,000 ordinary "
        "articles, which must all be added.",
        "",
        "| input | on disk | code | peak RSS | wall | added | rejected because |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, on_disk, who, r in rows:
        lines.append(
            f"| {label} | {on_disk:.2f} MB | {who} | {r['peak_mb']:.0f} MB | "
            f"{r['seconds']:.1f} s | {r['added']} | {r['why']} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write_docs:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
