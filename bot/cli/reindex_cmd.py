"""`briefbot reindex`: compute the dense vectors that chunks lack."""

from __future__ import annotations

import argparse

from bot.cli.common import TerminalProgress, opened_engine


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "reindex",
        parents=[parent],
        help="embed chunks that have no vector (after an endpoint outage or a model change)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with opened_engine(args, seed=False) as engine:
        if engine.vectors is None:
            print("reindex: nothing to do (BRIEFBOT_RETRIEVAL=bm25 uses no vectors)")
            return 0
        ticker = TerminalProgress("embedded")
        done = engine.reindex(progress=ticker)
        ticker.done()
        left = engine.vectors.missing_count()
    print(f"reindex: {done} chunk(s) embedded with {engine.vectors.model}; {left} still missing")
    return 0 if left == 0 else 1
