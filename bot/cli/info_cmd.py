"""`briefbot sources` and `briefbot stats`."""

from __future__ import annotations

import argparse

from bot.cli.common import (
    add_filters,
    filters_from,
    opened_engine,
    positive_int,
    print_json,
)
from bot.text.normalize import http_url


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("sources", parents=[parent], help="list the articles in the corpus")
    add_filters(p)
    p.add_argument(
        "--limit", type=positive_int, default=None, help="at most this many (newest first)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_sources)

    s = sub.add_parser("stats", parents=[parent], help="corpus counts, date range, DB size")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=run_stats)


def run_sources(args: argparse.Namespace) -> int:
    with opened_engine(args) as engine:
        items = engine.sources(filters_from(args), limit=args.limit)
    if args.json:
        print_json(items)
        return 0
    for a in items:
        when = a.published_at.date().isoformat() if a.published_at else "undated"
        parts = [f"{a.id:>6}", when, a.source or "-", a.title]
        print("  ".join(parts) + (f"  <{a.url}>" if http_url(a.url) else ""))
    return 0


def run_stats(args: argparse.Namespace) -> int:
    with opened_engine(args) as engine:
        stats = engine.stats()
    if args.json:
        print_json(stats)
        return 0
    first = stats.first_published.isoformat() if stats.first_published else "-"
    last = stats.last_published.isoformat() if stats.last_published else "-"
    print(
        f"articles: {stats.articles:,}\nchunks: {stats.chunks:,}\nsources: {stats.sources:,}\n"
        f"published: {first} … {last}\ndatabase: {stats.db_bytes:,} bytes"
    )
    return 0
