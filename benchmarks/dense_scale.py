"""Dense retrieval at scale (issue 7): embedding speed, ingest-rate cost, search latency.

Usage: python benchmarks/dense_scale.py [--rss PATH] [--ingest-items 50000]

1. Ingest the first N RSS items twice into fresh databases, BRIEFBOT_RETRIEVAL=bm25 (no
   vectors) and =hybrid (wordllama vectors written in each batch), and report items/s.
2. Embed all RSS items with wordllama, then time a brute-force top-50 search (matrix-vector
   product + argpartition) at 10k, 100k and 253k vectors, float32 vs float16 in memory,
   and the time to load the float16 BLOBs from SQLite into memory.
Medians of repeated runs are printed as a markdown table.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpora import RSS
from bot.config import Settings
from bot.engine import Engine
from bot.ingest.readers import Record
from bot.retrieval.embeddings import WordLlamaEmbedder
from bot.retrieval.vectors import passage_text
from bot.store.db import Database
from bot.store.vectors import DTYPE, vectors_from_rows


def read_rss(path: Path, limit: int | None = None) -> list[dict]:
    items = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            items.append(json.loads(line))
            if limit and len(items) >= limit:
                break
    return items


def ingest_rate(items: list[dict], mode: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), retrieval=mode, auto_seed=False)
        engine = Engine(settings)
        records = [Record(origin=f"rss:{i}", fields=item) for i, item in enumerate(items)]
        if engine.vectors is not None:
            engine.vectors.embedder.embed(["warm up"])
        start = time.perf_counter()
        report = engine.ingestor.ingest_records(records)
        elapsed = time.perf_counter() - start
        engine.close()
    return report.added / elapsed


def search_times(matrix: np.ndarray, queries: np.ndarray, n: int = 50) -> float:
    times = []
    for q in queries:
        start = time.perf_counter()
        scores = matrix @ q.astype(matrix.dtype)
        top = np.argpartition(-scores, n - 1)[:n]
        top[np.argsort(-scores[top])]
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def load_time(matrix16: np.ndarray) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "v.sqlite3", migrate_schema=False)
        db.conn.execute("CREATE TABLE v (chunk_id INTEGER PRIMARY KEY, vector BLOB)")
        with db.transaction() as tx:
            tx.executemany(
                "INSERT INTO v VALUES (?, ?)",
                ((i + 1, row.tobytes()) for i, row in enumerate(matrix16)),
            )
        start = time.perf_counter()
        _ids, loaded = vectors_from_rows(
            db.query("SELECT chunk_id, vector FROM v ORDER BY chunk_id")
        )
        elapsed = time.perf_counter() - start
        assert loaded.shape == matrix16.shape
        db.close()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rss", type=Path, default=RSS)
    ap.add_argument("--ingest-items", type=int, default=50_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--ingest-only", action="store_true", help="skip the search-latency part")
    args = ap.parse_args()
    items = read_rss(args.rss)
    print(f"# dense_scale: {len(items):,} RSS items")

    sample = items[: args.ingest_items]
    rates: dict[str, list[float]] = {"bm25": [], "hybrid": []}
    for _ in range(args.repeats):  # interleaved: other jobs' load hits both modes alike
        for mode in rates:
            rates[mode].append(ingest_rate(sample, mode))
    for mode, runs in rates.items():
        shown = ", ".join(f"{r:,.0f}" for r in runs)
        print(f"ingest {mode:6s}: median {statistics.median(runs):,.0f} items/s  runs=[{shown}]")
    ratios = [h / b for b, h in zip(rates["bm25"], rates["hybrid"], strict=True)]
    print(f"hybrid/bm25 rate ratio per pair: median {statistics.median(ratios):.2f}")

    if args.ingest_only:
        return
    embedder = WordLlamaEmbedder()
    texts = [passage_text(i.get("title") or "", i.get("description") or "") for i in items]
    start = time.perf_counter()
    full = embedder.embed(texts)
    elapsed = time.perf_counter() - start
    print(f"embed: {len(texts):,} texts in {elapsed:.1f}s = {len(texts) / elapsed:,.0f}/s")
    queries = embedder.embed([t.split("\n")[0] for t in texts[:: max(1, len(texts) // 30)][:30]])

    print(
        "\n| vectors | float32 search ms | float16 search ms | load float16 BLOBs s | RAM f32 MB |"
    )
    print("|---|---|---|---|---|")
    for size in (10_000, 100_000, len(full)):
        m32 = np.ascontiguousarray(full[:size])
        m16 = m32.astype(DTYPE)
        print(
            f"| {size:,} | {search_times(m32, queries):.1f} | {search_times(m16, queries):.1f}"
            f" | {load_time(m16):.2f} | {m32.nbytes / 1e6:.0f} |"
        )


if __name__ == "__main__":
    main()
