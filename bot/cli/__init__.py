"""The `briefbot` command line: a thin layer over the engine; every bot action has a twin here."""

# ruff: noqa: E402  (the imports run with the collector paused, see below)

from __future__ import annotations

import gc

# Start-up builds many long-lived objects (pydantic models, regex tables); the collector's
# passes over them during the imports cost ~10% of a cold command and free nothing; they are
# moved out of the collector's sight for good (`gc.freeze`) before it resumes.
gc.disable()

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from pydantic import ValidationError

from bot import __version__
from bot.cli import (
    articles_cmd,
    ask_cmd,
    brief_cmd,
    chat_cmd,
    db_cmd,
    doctor_cmd,
    export_cmd,
    feeds_cmd,
    info_cmd,
    ingest_cmd,
    insight_cmd,
    reindex_cmd,
    run_cmd,
    subscriptions_cmd,
)
from bot.cli.common import common_parent
from bot.config import describe_errors
from bot.errors import BriefbotError
from bot.store.errors import StoreError

gc.freeze()
gc.enable()

COMMANDS = [
    ingest_cmd,
    ask_cmd,
    chat_cmd,
    info_cmd,
    run_cmd,
    brief_cmd,
    subscriptions_cmd,
    feeds_cmd,
    reindex_cmd,
    articles_cmd,
    export_cmd,
    doctor_cmd,
    insight_cmd,
    db_cmd,
]


class _Parser(argparse.ArgumentParser):
    """Argument errors as one line on stderr (argparse prints the whole usage first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="briefbot",
        description="Cited answers and daily briefings over a news corpus.",
    )
    parser.add_argument("--version", action="version", version=f"briefbot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    parent = common_parent()
    for module in COMMANDS:
        module.register(sub, parent)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Errors end as one line on stderr (`-v` adds the traceback)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    verbose = bool(getattr(args, "verbose", False))
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except (BriefbotError, StoreError) as exc:
        return _fail(verbose, str(exc))
    except ValidationError as exc:
        for line in describe_errors(exc):
            print(f"briefbot: error: invalid setting {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("briefbot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except MemoryError:
        return _fail(verbose, "out of memory (lower BRIEFBOT_INGEST_MAX_FILE_BYTES or _BATCH)")
    except Exception as exc:  # a bug: one line for users, the traceback with -v for reports
        hint = "" if verbose else " (run with -v for the traceback)"
        detail = " ".join(str(exc).split())[:300]
        return _fail(verbose, f"unexpected {type(exc).__name__}: {detail}{hint}")


def _fail(verbose: bool, message: str) -> int:
    if verbose:
        traceback.print_exc()
    print(f"briefbot: error: {message}", file=sys.stderr)
    return 1
