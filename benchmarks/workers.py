"""Measurement workers, each run in its own process so peak RSS and imports are its own.

`python benchmarks/workers.py KIND ARGS_JSON` prints one JSON object on stdout. Kinds:
`ingest` (the real Ingestor over a file), `briefbot` (the real Retriever over the store),
`bm25s` and `rank-bm25` (the same stored articles and queries, for comparison).
"""

from __future__ import annotations

import json
import resource
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

Search = Callable[[str], list[int]]


def peak_rss_mb() -> float:
    """This process's peak resident set size in MiB.

    VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec() from the forking parent, so a
    worker would report the orchestrator's peak whenever that is the larger one.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def children_cpu_seconds() -> float:
    """CPU of this process's children that have ended and been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = list(Path(f"/proc/{parent}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except (OSError, ValueError):
                continue
            found += kids
            todo += kids
    return found


class TreeRss:
    """Peak resident memory of this process and its descendants together (a worker process
    it starts counts), sampled every `every` seconds from /proc (Linux) in a thread.

    `peak_mb` is the largest sum seen, at least this process's own peak (VmHWM, exact);
    sampling can miss a child's short spike, so `children_peak_mb` is reported apart too.
    """

    def __init__(self, every: float = 0.05) -> None:
        import os
        import threading

        self._pid = os.getpid()
        self._every = every
        self._stop = threading.Event()
        self.peak_kb = 0
        self.children_peak_kb = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self._sample()
            if self._stop.wait(self._every):
                return

    def _sample(self) -> None:
        children = sum(_rss_kb(pid) for pid in _descendants(self._pid))
        self.children_peak_kb = max(self.children_peak_kb, children)
        self.peak_kb = max(self.peak_kb, _rss_kb(self._pid) + children)

    @property
    def peak_mb(self) -> float:
        return max(self.peak_kb / 1024, peak_rss_mb())

    @property
    def children_peak_mb(self) -> float:
        return self.children_peak_kb / 1024


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def run_ingest(args: dict[str, Any]) -> dict[str, Any]:
    from bot.config import Settings
    from bot.ingest.pipeline import Ingestor
    from bot.store import Database, Store

    data_dir = Path(args["data_dir"])
    settings = Settings(data_dir=data_dir, db_path=data_dir / "briefbot.sqlite3", auto_seed=False)
    db = Database(settings.database)
    started, started_cpu = time.perf_counter(), cpu_seconds()
    report = Ingestor(Store(db), settings).ingest_paths([Path(args["source"])])
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - started_cpu
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db_bytes = db.size_bytes()
    db.close()
    return {
        "records": args["items"],
        "seconds": seconds,
        "items_per_s": args["items"] / seconds,
        "cpu_seconds": cpu,
        "items_per_cpu_s": args["items"] / cpu,
        "added": report.added,
        "duplicates": report.duplicates,
        "near_duplicates": report.near_duplicates,
        "rejected": len(report.rejected),
        "warnings": len(report.warnings),
        "db_bytes": db_bytes,
        "peak_rss_mb": peak_rss_mb(),
    }


def timed_pass(search: Search, queries: list[dict[str, Any]]) -> tuple[list, list, int]:
    """Wall and CPU milliseconds of each query, and how many found their article in the top 5."""
    wall, cpu, hits = [], [], 0
    for q in queries:
        started, started_cpu = time.perf_counter(), time.process_time()
        found = search(q["q"])
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
        hits += q["article_id"] in found[:5]
    return wall, cpu, hits


def time_queries(search: Search, queries: list[dict[str, Any]], repeats: int) -> dict[str, Any]:
    """A warm-up pass (Hit@5), then `repeats` timed passes; figures are medians over passes.

    With repeats=0 the warm-up pass itself is timed (for the slow rank-bm25). CPU time is
    reported beside wall time because the machine is shared: it is what the query costs.
    The first pass is reported too: its caches (stems, document frequencies) start empty.
    """
    first = timed_pass(search, queries)
    passes = [timed_pass(search, queries) for _ in range(repeats)] or [first]
    walls, cpus = [p[0] for p in passes], [p[1] for p in passes]
    return {
        "queries": len(queries),
        "hit_at_5": first[2] / len(queries),
        "p50_ms": statistics.median(percentile(w, 0.50) for w in walls),
        "p95_ms": statistics.median(percentile(w, 0.95) for w in walls),
        "cpu_p50_ms": statistics.median(percentile(c, 0.50) for c in cpus),
        "cpu_p95_ms": statistics.median(percentile(c, 0.95) for c in cpus),
        "qps": statistics.median(len(w) / (sum(w) / 1000) for w in walls),
        "passes": len(passes),
        "first_pass_p50_ms": percentile(first[0], 0.50),
        "first_pass_p95_ms": percentile(first[0], 0.95),
        "first_pass_cpu_p95_ms": percentile(first[1], 0.95),
    }


def run_briefbot(args: dict[str, Any]) -> dict[str, Any]:
    from bot.config import Settings
    from bot.retrieval.bm25 import Retriever
    from bot.store import Database, Store

    data_dir = Path(args["data_dir"])
    settings = Settings(data_dir=data_dir, db_path=data_dir / "briefbot.sqlite3", auto_seed=False)
    db = Database(settings.database)
    retriever = Retriever(Store(db), settings)

    def search(question: str) -> list[int]:
        return [p.article_id for p in retriever.search(question, k=5).passages]

    result = time_queries(search, load_queries(args), args["repeats"])
    result["documents"] = int(db.query("SELECT count(*) FROM articles")[0][0])
    result["peak_rss_mb"] = peak_rss_mb()
    db.close()
    return result


def load_queries(args: dict[str, Any]) -> list[dict[str, Any]]:
    return list(json.loads(Path(args["queries"]).read_text()))


def stored_documents(db_path: str, limit: int | None) -> tuple[list[int], list[str]]:
    """The articles briefbot stored (after dedupe), as title + text, in id order."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    sql = "SELECT id, title || '\n' || text FROM articles ORDER BY id"
    rows = conn.execute(sql + (f" LIMIT {int(limit)}" if limit else "")).fetchall()
    conn.close()
    return [r[0] for r in rows], [r[1] for r in rows]


def analyzer() -> Callable[[str], list[str]]:
    """briefbot's own analysis (FTS5-like words, Porter stems, stop-words dropped)."""
    from bot.text.words import STOPWORDS, stem, words

    return lambda text: [stem(w) for w in words(text) if w not in STOPWORDS]


def run_bm25s(args: dict[str, Any]) -> dict[str, Any]:
    import bm25s

    ids, docs = stored_documents(args["db"], args.get("limit"))
    tokenize = analyzer()
    started = time.perf_counter()
    index = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    index.index([tokenize(d) for d in docs], show_progress=False)
    build = time.perf_counter() - started
    vocab = index.vocab_dict

    def search(question: str) -> list[int]:
        tokens = [t for t in tokenize(question) if t in vocab]
        if not tokens:
            return []
        found, _ = index.retrieve([tokens], k=5, show_progress=False)
        return [ids[i] for i in found[0]]

    id_set = set(ids)
    queries = [q for q in load_queries(args) if q["article_id"] in id_set]
    result = time_queries(search, queries, args["repeats"])
    batch = [[t for t in tokenize(q["q"]) if t in vocab] or [next(iter(vocab))] for q in queries]
    started = time.perf_counter()
    index.retrieve(batch, k=5, show_progress=False)
    result["batch_qps"] = len(batch) / (time.perf_counter() - started)
    result.update(documents=len(docs), build_s=build, peak_rss_mb=peak_rss_mb())
    return result


def run_rank_bm25(args: dict[str, Any]) -> dict[str, Any]:
    import numpy as np
    from rank_bm25 import BM25Okapi

    ids, docs = stored_documents(args["db"], args.get("limit"))
    tokenize = analyzer()
    started = time.perf_counter()
    index = BM25Okapi([tokenize(d) for d in docs], k1=1.2, b=0.75)
    build = time.perf_counter() - started

    def search(question: str) -> list[int]:
        scores = index.get_scores(tokenize(question))
        top = np.argpartition(-scores, 5)[:5]
        return [ids[i] for i in top[np.argsort(-scores[top])]]

    id_set = set(ids)
    queries = [q for q in load_queries(args) if q["article_id"] in id_set]
    queries = queries[: args.get("max_queries") or len(queries)]
    result = time_queries(search, queries, args["repeats"])
    result.update(documents=len(docs), build_s=build, peak_rss_mb=peak_rss_mb())
    return result


WORKERS = {
    "ingest": run_ingest,
    "briefbot": run_briefbot,
    "bm25s": run_bm25s,
    "rank-bm25": run_rank_bm25,
}

if __name__ == "__main__":
    kind, raw = sys.argv[1], sys.argv[2]
    print(json.dumps(WORKERS[kind](json.loads(raw))))
