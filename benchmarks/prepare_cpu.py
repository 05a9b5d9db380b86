"""CPU seconds of an ingest worker's preparation, without a store or a second process.

Reads the first `--items` records of a .jsonl(.gz) once, then times `prepare_batch` over
them in batches of the default size (`ingest.batch`), tokenising every batch (the worker's
most expensive mode), `--runs` times; prints the median. Reading is timed apart (the worker
reads its input too). Run it with another tree first on PYTHONPATH to compare two versions
of the code side by side, e.g. a `git archive` of main:

    PYTHONPATH=/tmp/main-src python benchmarks/prepare_cpu.py --items 100000 --runs 3
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "rss-2023-09-12-en.jsonl.gz"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", type=Path, default=CORPUS)
    p.add_argument("--items", type=int, default=100_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--batch", type=int, default=None, help="default: ingest.batch")
    args = p.parse_args(argv)

    import bot
    from bot.config import Settings
    from bot.ingest.prepare import PrepareOptions, batched, prepare_batch
    from bot.ingest.readers import ReadLimits, read_paths
    from bot.store.postings import TermTable

    settings = Settings()
    size = args.batch or settings.ingest.batch
    limits = ReadLimits(settings.ingest.max_file_bytes, settings.ingest.max_record_bytes)
    options = PrepareOptions.of(settings, planned=True)

    started = time.process_time()
    items = list(islice(read_paths([args.input], limits), args.items))
    reading = time.process_time() - started
    gc.freeze()
    times = []
    for _ in range(args.runs):
        stems = TermTable()
        started = time.process_time()
        for batch in batched(items, size):
            prepare_batch(batch, options, stems, tokenise=True)
        times.append(time.process_time() - started)
    print(
        f"{bot.__file__}: {len(items):,} items, batch {size}: reading {reading:.2f} CPU-s, "
        f"prepare_batch {statistics.median(times):.2f} CPU-s median of "
        f"{' / '.join(f'{t:.2f}' for t in times)}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
