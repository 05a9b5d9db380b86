"""`briefbot export` and `briefbot backup`: get the corpus and the database out safely."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from bot.cli.common import add_filters, filters_from, opened_engine, settings_from
from bot.ops.export import backup_database, default_export_name, write_jsonl


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "export",
        parents=[parent],
        help="write every article (with alternates) as JSON Lines that `ingest` reads back",
        description="Write the articles, their metadata and their alternate sources as JSON "
        "Lines (gzipped when FILE ends in .gz). `briefbot ingest FILE` restores them into "
        "another store as they were.",
    )
    p.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="FILE",
        help="default: ./briefbot-export-<time>.jsonl.gz",
    )
    add_filters(p)
    p.set_defaults(func=run_export)

    b = sub.add_parser(
        "backup",
        parents=[parent],
        help="copy the database while the bot runs",
        description="SQLite: a consistent copy made with the online backup API (the bot may "
        "keep running). PostgreSQL: prints the pg_dump command to run.",
    )
    b.add_argument("path", type=Path, metavar="PATH")
    b.set_defaults(func=run_backup)


def run_export(args: argparse.Namespace) -> int:
    path = args.output or default_export_name()
    with opened_engine(args, seed=False) as engine:
        count = write_jsonl(engine.export(filters_from(args)), path)
    print(f"exported {count:,} articles to {path}", file=sys.stderr)
    return 0


def run_backup(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    url = settings.store.database_url.get_secret_value() if settings.store.database_url else ""
    if url.startswith(("postgres://", "postgresql://")):
        target = shlex.quote(str(args.path))
        print(
            "briefbot: the database is PostgreSQL; back it up with pg_dump (the URL stays in "
            "the environment, it is not printed):",
            file=sys.stderr,
        )
        print(f'pg_dump --format=custom --no-owner --file={target} "$BRIEFBOT_DATABASE_URL"')
        return 0
    size = backup_database(settings.database, args.path)
    print(f"backed up {settings.database} to {args.path} ({size:,} bytes)", file=sys.stderr)
    return 0
