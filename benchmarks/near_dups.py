"""Near-duplicate detection cost at ingest: the same RSS items with the index off and on.

    python benchmarks/near_dups.py [--items 50000] [--corpus PATH]

Prints items/s for both runs (A/B: noisy on a shared machine), the time spent inside the
near-duplicate index itself (fingerprint + LSH lookup + exact check + band insert, summed
in-process), how many items were collapsed into alternates and the band table size, as JSON.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from itertools import islice
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpora import RSS
from bot.config import Settings
from bot.ingest.pipeline import Ingestor
from bot.ingest.readers import Record
from bot.models import ArticleIn
from bot.store import Database, Store
from bot.store.neardups import NearDuplicateBatch, NearDuplicateIndex, NearMatch


class TimedBatch(NearDuplicateBatch):
    """The real batch, with the time spent in its lookups and band insert summed."""

    spent = 0.0

    def find(self, position: int) -> NearMatch | None:
        started = time.perf_counter()
        try:
            return super().find(position)
        finally:
            TimedBatch.spent += time.perf_counter() - started

    def add(self, position: int, article_id: int) -> None:
        started = time.perf_counter()
        try:
            super().add(position, article_id)
        finally:
            TimedBatch.spent += time.perf_counter() - started

    def flush(self) -> None:
        started = time.perf_counter()
        try:
            super().flush()
        finally:
            TimedBatch.spent += time.perf_counter() - started


class TimedIndex(NearDuplicateIndex):
    """The real index, timing the batch fingerprinting and stored-band lookup too."""

    def batch(self, articles: Sequence[ArticleIn | None]) -> NearDuplicateBatch:
        started = time.perf_counter()
        made = super().batch(articles)
        timed = TimedBatch(made.db, made.threshold, made.prints, made.stored)
        TimedBatch.spent += time.perf_counter() - started
        return timed

    @property
    def spent(self) -> float:
        return TimedBatch.spent


CORPUS = RSS


def load(path: Path, limit: int) -> list[Record]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [
            Record(origin=f"{path.name}:{n}", fields=json.loads(line), markup=True)
            for n, line in enumerate(islice(handle, limit), 1)
        ]


def run(records: list[Record], enabled: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), near_dup_enabled=enabled, auto_seed=False)
        db = Database(settings.database)
        ingestor = Ingestor(Store(db), settings)
        timed = None
        if enabled:
            TimedBatch.spent = 0.0
            timed = TimedIndex(
                db, settings.ingest.near_dup_threshold, settings.ingest.near_dup_min_words
            )
            ingestor.near_dups = timed
        started = time.perf_counter()
        report = ingestor.ingest_records(iter(records))
        elapsed = time.perf_counter() - started
        bands = db.query("SELECT count(*) FROM near_dup_prints")[0][0]
        alternates = db.query("SELECT count(*) FROM article_alternates")[0][0]
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = db.size_bytes()
        db.close()
    return {
        "items_per_s": round(len(records) / elapsed),
        "seconds": round(elapsed, 2),
        "added": report.added,
        "exact_duplicates": report.duplicates,
        "near_duplicates": report.near_duplicates,
        "alternate_rows": alternates,
        "band_rows": bands,
        "db_mb": round(size / 1e6, 1),
        "index_us_per_item": round(timed.spent / len(records) * 1e6, 1) if timed else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--only", choices=("on", "off"), help="run one mode only")
    args = parser.parse_args()
    records = load(args.corpus, args.items)
    modes = [(label, label == "on") for label in ("off", "on") if args.only in (None, label)]
    results: dict[str, list[dict[str, float]]] = {label: [] for label, _ in modes}
    for _ in range(args.repeats):
        for label, enabled in modes:
            results[label].append(run(records, enabled))
    summary: dict[str, Any] = {}
    for label, runs in results.items():
        best = dict(runs[-1])
        best["items_per_s"] = statistics.median(r["items_per_s"] for r in runs)
        best["index_us_per_item"] = statistics.median(r["index_us_per_item"] for r in runs)
        summary[label] = best
    if len(modes) == 2:
        off, on = summary["off"]["items_per_s"], summary["on"]["items_per_s"]
        summary["ab_cost_us_per_item"] = round((1 / on - 1 / off) * 1e6, 1)
    print(json.dumps({"items": len(records), **summary}, indent=2))


if __name__ == "__main__":
    main()
