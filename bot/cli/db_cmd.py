"""`briefbot db copy --to postgresql://…`: move an SQLite store into PostgreSQL."""

from __future__ import annotations

import argparse
import sys

from bot.cli.common import opened_engine, settings_from
from bot.engine import Engine
from bot.errors import BriefbotError
from bot.models import Stats


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("db", parents=[parent], help="database operations")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    copy = actions.add_parser(
        "copy",
        parents=[parent],
        help="copy the SQLite store into PostgreSQL (resumable: run it again after a failure)",
        description="Copy articles, chunks, vectors, alternates, feeds, subscriptions, the "
        "delivery log, conversations and usage from the SQLite store (--data-dir) into a "
        "PostgreSQL database. Stop the bot first; then set BRIEFBOT_DATABASE_URL to the target.",
    )
    copy.add_argument("--to", required=True, metavar="URL", help="postgresql://user@host/db")
    copy.set_defaults(func=run_copy)


def _line(stats: Stats) -> str:
    return (
        f"{stats.articles:,} articles, {stats.chunks:,} chunks, {stats.sources:,} sources,"
        f" published {stats.first_published or '-'} … {stats.last_published or '-'}"
    )


def run_copy(args: argparse.Namespace) -> int:
    if not args.to.lower().startswith(("postgresql://", "postgres://")):
        raise BriefbotError("--to must be a postgresql:// URL")
    settings = settings_from(args).updated(database_url=None)
    with opened_engine(args, seed=False, settings=settings) as engine:
        return _copy(engine, args.to)


def _copy(engine: Engine, url: str) -> int:
    before = engine.stats()

    def progress(table: str, rows: int) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\rcopying {table}: {rows:,}")

    written, after = engine.copy_to_postgres(url, progress)
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    copied = ", ".join(f"{table} {rows:,}" for table, rows in written.items() if rows)
    print(f"copied: {copied or 'nothing new'}")
    print(f"source: {_line(before)}")
    print(f"target: {_line(after)}")
    same = before.model_dump(exclude={"db_bytes"}) == after.model_dump(exclude={"db_bytes"})
    print("stats match" if same else "stats differ: run the copy again (it resumes)")
    return 0 if same else 1
