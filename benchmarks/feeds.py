"""Feed polling throughput and page extraction time, over a loopback server.

    python benchmarks/feeds.py [--feeds 200] [--entries 10] [--corpus PATH]

A child process serves FEEDS RSS feeds of ENTRIES teaser entries each, linking to article
pages built from the BBC corpus; the engine polls them all (fetch, parse, page fetch,
trafilatura extraction, near-duplicate check, store), then polls again (every feed answers
304). During the first poll a 10 ms ticker measures event-loop stalls (the bot runs the same
poll in its event loop). Extraction time per page is measured separately, in one thread.
Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpora import BBC
from bot.config import Settings
from bot.engine import Engine
from bot.feeds.extract import extract_page
from tests.support.content import Item, article_page, rss2
from tests.support.webserver import LoopbackServer, Reply, Request

CORPUS = BBC


def load(path: Path, count: int) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    if len(rows) < count:
        raise SystemExit(f"{path} has {len(rows)} articles; {count} needed")
    return rows[:count]


def page_html(row: dict[str, Any]) -> bytes:
    paragraphs = [p for p in row["body"].split("\n") if p.strip()]
    return article_page(row["title"], paragraphs, site="BBC")


def serve(corpus: Path, feeds: int, entries: int, ports: Any) -> None:
    """Child process: build every route, report the port, serve until killed."""
    rows = load(corpus, feeds * entries)
    with LoopbackServer() as web:
        for n, row in enumerate(rows):
            web.route(f"/a/{n}", Reply(body=page_html(row)))
        for f in range(feeds):
            items = []
            for n in range(f * entries, (f + 1) * entries):
                teaser = rows[n]["body"].split(". ")[0][:200] + "…"
                items.append(Item(rows[n]["title"], web.url(f"/a/{n}"), teaser, guid=f"a{n}"))
            body = rss2(f"Feed {f}", items)
            web.route(f"/feed/{f}.xml", _etag_route(body, f'"f{f}"'))
        ports.put(web.port)
        while True:
            time.sleep(3600)


def _etag_route(body: bytes, etag: str) -> Any:
    def reply(request: Request) -> Reply:
        if request.headers.get("if-none-match") == etag:
            return Reply(304, content_type=None)
        return Reply(body=body, content_type="application/rss+xml", headers={"ETag": etag})

    return reply


async def poll_all(engine: Engine) -> tuple[float, list[Any], list[float]]:
    """Poll every feed once; also how late a 10 ms ticker ran meanwhile (event-loop stalls:
    what a bot answering questions during a poll round would feel)."""
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - before - 0.01)

    watch = asyncio.create_task(ticker())
    started = time.perf_counter()
    results = await engine.poll_feeds()
    elapsed = time.perf_counter() - started
    done.set()
    await watch
    return elapsed, results, lags


def extraction_times(corpus: Path, count: int) -> list[float]:
    rows = load(corpus, count)
    times = []
    for n, row in enumerate(rows):
        html = page_html(row).decode()
        started = time.perf_counter()
        extract_page(html, f"http://127.0.0.1/a/{n}")
        times.append(time.perf_counter() - started)
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--entries", type=int, default=10)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()

    ports: Any = multiprocessing.Queue()
    server = multiprocessing.Process(
        target=serve, args=(args.corpus, args.feeds, args.entries, ports), daemon=True
    )
    server.start()
    try:
        port = ports.get(timeout=120)
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(data_dir=Path(tmp), auto_seed=False, fetch_allowlist="127.0.0.1")
            engine = Engine(settings)
            for f in range(args.feeds):
                engine.add_feed(f"http://127.0.0.1:{port}/feed/{f}.xml")
            first_s, first, lags = asyncio.run(poll_all(engine))
            second_s, second, _ = asyncio.run(poll_all(engine))
            engine.close()
    finally:
        server.kill()
    stored = sum(r.report.added for r in first)
    entries = sum(r.new_entries for r in first)
    extract = extraction_times(args.corpus, min(500, args.feeds * args.entries))
    print(
        json.dumps(
            {
                "feeds": args.feeds,
                "entries": entries,
                "stored": stored,
                "near_duplicates": sum(r.report.near_duplicates for r in first),
                "pages_fetched": sum(r.pages_fetched for r in first),
                "errors": sum(r.status == "error" for r in first),
                "first_poll_s": round(first_s, 2),
                "entries_per_s": round(entries / first_s, 1),
                "loop_lag_p50_ms": round(statistics.median(lags) * 1000, 1),
                "loop_lag_p99_ms": round(percentile(lags, 0.99) * 1000, 1),
                "loop_lag_max_ms": round(max(lags) * 1000, 1),
                "second_poll_s": round(second_s, 2),
                "second_poll_not_modified": sum(r.status == "not_modified" for r in second),
                "extract_pages": len(extract),
                "extract_p50_ms": round(statistics.median(extract) * 1000, 2),
                "extract_p95_ms": round(percentile(extract, 0.95) * 1000, 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
