"""Workers of `perf.py`, each run in its own process so its peak RSS and imports are its own.

`python benchmarks/perf_workers.py KIND ARGS_JSON` prints one JSON object as its last line:

- `cli`: runs the `briefbot` CLI in this process (e.g. `ingest FILE`), its stdout captured;
- `queries`: samples the query set from the ingested items, with each item's stored article;
- `engine`: `Engine.search` and the extractive `Engine.ask` over the queries;
- `briefing`: the extractive briefing of one day;
- `bm25s`: the same items and queries through bm25s, numpy or numba backend.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import asyncio  # noqa: E402
import contextlib  # noqa: E402
import gzip  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for path in (str(ROOT), str(HERE)):
    if path not in sys.path:
        sys.path.insert(0, path)

from workers import (  # noqa: E402
    TreeRss,
    children_cpu_seconds,
    cpu_seconds,
    peak_rss_mb,
    percentile,
)

TOP = 10
QUERY_WORDS = 12
_WORD = re.compile(r"[^\W_]+")


def read_items(source: str) -> list[dict[str, Any]]:
    opener = gzip.open if source.endswith(".gz") else open
    with opener(source, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def settings_for(data_dir: str) -> Any:
    from bot.config import Settings

    return Settings(data_dir=Path(data_dir), auto_seed=False)


def run_cli(args: dict[str, Any]) -> dict[str, Any]:
    """The real `briefbot` entry point; seconds include this process's imports."""
    from bot.cli import main

    out = io.StringIO()
    started_cpu, started_children = cpu_seconds(), children_cpu_seconds()
    with (
        TreeRss() as tree,
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        code = main(args["argv"])
    printed = out.getvalue().strip()
    try:
        report: Any = json.loads(printed)
    except ValueError:
        report = printed[-2000:]
    if isinstance(report, dict):  # counts, not the (long) lists of rejected items
        report = {k: len(v) if isinstance(v, list) else v for k, v in report.items()}
    return {
        "exit": code,
        "seconds": time.perf_counter() - STARTED,
        # this process and the ingest's worker process (ended and waited for by now)
        "cpu_seconds": cpu_seconds() - started_cpu + children_cpu_seconds() - started_children,
        "cpu_main_seconds": cpu_seconds() - started_cpu,
        "report": report,
        "peak_rss_mb": tree.peak_mb,  # both processes together
        "peak_rss_main_mb": peak_rss_mb(),
        "peak_rss_worker_mb": tree.children_peak_mb,
    }


def content_words(text: str) -> list[str]:
    from bot.text.words import STOPWORDS, fold

    return [w for w in _WORD.findall(text) if fold(w) not in STOPWORDS]


def run_queries(args: dict[str, Any]) -> dict[str, Any]:
    """Queries: the first 12 content words of random items' descriptions (at least 12 such
    words), each with the article the store keeps for its item (itself or, for a copy, the
    article it was folded into). Also every item's stored article, for the peer's Hit@10."""
    from bot.store import Database, Store
    from bot.text.plain import plain_text

    items = read_items(args["source"])
    store = Store(Database(settings_for(args["data_dir"]).database))
    article_of = [
        store.articles.find_by_url(item["url"]) if item.get("url") else None for item in items
    ]
    eligible = []
    for position, item in enumerate(items):
        words = content_words(plain_text(item.get("description") or ""))
        if len(words) >= QUERY_WORDS and article_of[position] is not None:
            eligible.append((position, " ".join(words[:QUERY_WORDS])))
    chosen = random.Random(args["seed"]).sample(eligible, min(args["count"], len(eligible)))
    queries = [{"q": q, "item": i, "article_id": article_of[i]} for i, q in chosen]
    Path(args["out"]).write_text(
        json.dumps({"queries": queries, "article_of": [a or -1 for a in article_of]})
    )
    stats = store.articles.stats()
    store.close()
    return {
        "queries": len(queries),
        "eligible": len(eligible),
        "articles": stats.articles,
        "passages": stats.chunks,
    }


def load_queries(args: dict[str, Any]) -> tuple[list[dict[str, Any]], list[int]]:
    data = json.loads(Path(args["queries"]).read_text())
    return data["queries"], data["article_of"]


def timed(
    fn: Callable[[str], list[int]],
    queries: list[dict[str, Any]],
    repeats: int,
    targets: Callable[[dict[str, Any]], Any] = lambda q: q["article_id"],
) -> dict[str, Any]:
    """One untimed warm-up query, then `repeats` timed passes (medians of the passes'
    percentiles). Hit@10 and the misses come from the first timed pass."""
    fn(queries[0]["q"])
    passes, hits, misses = [], 0, []
    for n in range(repeats):
        wall, cpu = [], []
        for q in queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            found = fn(q["q"])
            cpu.append((time.process_time() - started_cpu) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
            if n == 0:
                if targets(q) in found[:TOP]:
                    hits += 1
                else:
                    misses.append(q)
        passes.append((wall, cpu))
    return {
        "queries": len(queries),
        "hit_at_10": hits / len(queries),
        "p50_ms": statistics.median(percentile(w, 0.50) for w, _ in passes),
        "p95_ms": statistics.median(percentile(w, 0.95) for w, _ in passes),
        "cpu_p50_ms": statistics.median(percentile(c, 0.50) for _, c in passes),
        "cpu_p95_ms": statistics.median(percentile(c, 0.95) for _, c in passes),
        "qps": statistics.median(len(w) / (sum(w) / 1000) for w, _ in passes),
        "first_pass_p95_ms": percentile(passes[0][0], 0.95),
        "passes": repeats,
        "_misses": misses,
    }


def run_engine(args: dict[str, Any]) -> dict[str, Any]:
    """`Engine.search` (k=10) and the extractive `Engine.ask`, as the bot runs them: one
    engine, one event loop, questions one after another."""
    from bot.engine import Engine
    from bot.retrieval.timewords import parse_time_words

    queries, _ = load_queries(args)
    opened = time.perf_counter()
    engine = Engine(settings_for(args["data_dir"]))
    open_s = time.perf_counter() - opened

    def search(question: str) -> list[int]:
        return [p.article_id for p in engine.search(question, k=TOP).passages]

    result = timed(search, queries, args["repeats"])
    misses = result.pop("_misses")
    reference = engine.hybrid.reference_time()
    timed_misses = [
        q
        for q in misses
        if (tq := parse_time_words(q["q"], reference)).has_window or tq.prefer_recent
    ]
    result["misses"] = len(misses)
    result["misses_with_time_words"] = len(timed_misses)
    result["miss_examples"] = [q["q"] for q in misses[:5]]
    result["open_s"] = open_s
    result["peak_rss_search_mb"] = peak_rss_mb()  # before the answers load their models

    loop = asyncio.new_event_loop()

    def ask(question: str) -> list[int]:
        answer = loop.run_until_complete(engine.ask(question, mode="extractive"))
        return [ref.article_id for ref in answer.sources]

    asked = timed(ask, queries, args["repeats"])
    asked.pop("_misses")
    result["ask"] = {k: v for k, v in asked.items() if k != "hit_at_10"}
    loop.close()
    engine.close()
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def run_briefing(args: dict[str, Any]) -> dict[str, Any]:
    """The extractive briefing of the day `args['day']` (UTC), `runs` times after one untimed
    build (as the bot's long-running process builds it: modules and models loaded), whose
    time is reported apart."""
    from datetime import date

    from bot.briefing.window import day_window
    from bot.engine import Engine

    engine = Engine(settings_for(args["data_dir"]))
    window = day_window(date.fromisoformat(args["day"]))
    loop = asyncio.new_event_loop()
    first = time.perf_counter()
    loop.run_until_complete(engine.build_briefing(window, [], mode="extractive"))
    first_s = time.perf_counter() - first
    times, cpu, briefing = [], [], None
    for _ in range(args["runs"]):
        started, started_cpu = time.perf_counter(), time.process_time()
        briefing = loop.run_until_complete(engine.build_briefing(window, [], mode="extractive"))
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    loop.close()
    engine.close()
    assert briefing is not None
    return {
        "day": args["day"],
        "articles": briefing.total_articles,
        "stories": briefing.total_stories,
        "median_s": statistics.median(times),
        "cpu_median_s": statistics.median(cpu),
        "runs_s": times,
        "first_s": first_s,
        "peak_rss_mb": peak_rss_mb(),
    }


def run_bm25s(args: dict[str, Any]) -> dict[str, Any]:
    """bm25s over the same items (title + description), with briefbot's analyser (the same
    terms as briefbot's index); a hit is any item the store folded into the target article."""
    import bm25s

    from bot.text.words import STOPWORDS, stem, words

    def tokenize(text: str) -> list[str]:
        return [stem(w) for w in words(text) if w not in STOPWORDS]

    backend = args["backend"]
    queries, article_of = load_queries(args)
    read_started = time.perf_counter()
    items = read_items(args["source"])
    docs = [f"{i.get('title') or ''}\n{i.get('description') or ''}" for i in items]
    read_s = time.perf_counter() - read_started
    started, started_cpu = time.perf_counter(), cpu_seconds()
    index = bm25s.BM25(k1=1.2, b=0.75, method="lucene", backend=backend)
    index.index([tokenize(d) for d in docs], show_progress=False)
    build_s, build_cpu = time.perf_counter() - started, cpu_seconds() - started_cpu
    vocab = index.vocab_dict
    del items, docs

    def search(question: str) -> list[int]:
        tokens = [t for t in tokenize(question) if t in vocab]
        if not tokens:
            return []
        found, _ = index.retrieve(
            [tokens], k=TOP, show_progress=False, backend_selection=backend, n_threads=1
        )
        return [article_of[i] for i in found[0]]

    result = timed(search, queries, args["repeats"])
    result.pop("_misses")
    result.update(
        backend=backend,
        documents=len(article_of),
        read_s=read_s,
        build_s=build_s,
        build_items_per_s=len(article_of) / build_s,
        build_items_per_cpu_s=len(article_of) / build_cpu,
        peak_rss_mb=peak_rss_mb(),
    )
    return result


WORKERS = {
    "cli": run_cli,
    "queries": run_queries,
    "engine": run_engine,
    "briefing": run_briefing,
    "bm25s": run_bm25s,
}

if __name__ == "__main__":
    kind, raw = sys.argv[1], sys.argv[2]
    print(json.dumps(WORKERS[kind](json.loads(raw)), default=str))
