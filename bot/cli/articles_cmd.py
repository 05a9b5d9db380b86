"""`briefbot articles remove ID|URL…`: take articles out of the corpus (the twin of /remove)."""

from __future__ import annotations

import argparse

from bot.cli.common import opened_engine, print_json


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("articles", parents=[parent], help="manage stored articles")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    remove = actions.add_parser(
        "remove",
        parents=[parent],
        help="remove articles by id (see `briefbot sources`) or URL",
        description="Remove articles with their passages, vectors, alternate sources and "
        "near-duplicate index rows. Feeds remember the entries, so they are not re-added.",
    )
    remove.add_argument("refs", nargs="+", metavar="ID|URL")
    remove.add_argument("--json", action="store_true")
    remove.set_defaults(func=run_remove)


def run_remove(args: argparse.Namespace) -> int:
    with opened_engine(args, seed=False) as engine:
        results = engine.remove_articles(args.refs)
    if args.json:
        print_json(results)
    else:
        for r in results:
            print(f"removed {r.article_id}: {r.title}" if r.removed else f"not found: {r.ref}")
    return 0 if all(r.removed for r in results) else 1
