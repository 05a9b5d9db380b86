"""Options and helpers shared by every command."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from bot.config import Settings
from bot.engine import Engine
from bot.errors import BriefbotError
from bot.models import SearchFilters


def common_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--data-dir",
        type=Path,
        help="where the database lives (default: BRIEFBOT_DATA_DIR or the user data dir)",
    )
    parent.add_argument(
        "--no-seeds",
        action="store_true",
        help="do not ingest the bundled seed articles into an empty corpus",
    )
    parent.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parent


def add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since",
        type=date_arg,
        help="only articles from this time on "
        "(ISO date/time, '2023-10-17', 'yesterday', '24h', '7d')",
    )
    parser.add_argument(
        "--until", type=until_arg, help="only articles up to this time (a date: its whole day)"
    )
    parser.add_argument("--source", help="only articles whose source contains this text")


def filters_from(args: argparse.Namespace) -> SearchFilters | None:
    since, until, source = args.since, args.until, args.source
    if since is None and until is None and not source:
        return None
    if since and until and since > until:
        raise BriefbotError("--since is after --until")
    return SearchFilters(since=since, until=until, source=source)


def positive_int(value: str) -> int:
    """argparse type for counts: a whole number of at least 1."""
    try:
        number = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from exc
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def date_arg(value: str) -> datetime:
    """Absolute dates in any common format, or relative ones: today, yesterday, 24h, 7d."""
    from bot.ingest.dates import DateParseError, parse_date  # dateutil: only for dates

    text = value.strip().lower()
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if text == "today":
        return midnight
    if text == "yesterday":
        return midnight - timedelta(days=1)
    if text[:-1].isdigit() and text[-1:] in ("h", "d", "w"):
        hours = {"h": 1, "d": 24, "w": 168}[text[-1]] * int(text[:-1])
        try:
            return now - timedelta(hours=hours)
        except OverflowError as exc:
            raise argparse.ArgumentTypeError(f"{value!r} is too far back") from exc
    try:
        parsed = parse_date(value)
    except DateParseError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    if parsed is None:
        raise argparse.ArgumentTypeError("empty date")
    return parsed


def until_arg(value: str) -> datetime:
    """Like `date_arg`, but a bare day ('2023-10-19', 'yesterday') means up to its end."""
    parsed = date_arg(value)
    day_only = ":" not in value and parsed == parsed.replace(hour=0, minute=0, second=0)
    if day_only and not value.strip()[:-1].isdigit():
        return parsed + timedelta(days=1, microseconds=-1)
    return parsed


def data_dir_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """`--data-dir` as settings: the database moves with it (BRIEFBOT_DB_PATH gives way)."""
    if not getattr(args, "data_dir", None):
        return {}
    return {"data_dir": args.data_dir, "db_path": None}


def settings_from(args: argparse.Namespace) -> Settings:
    overrides = data_dir_overrides(args)
    if getattr(args, "no_seeds", False):
        overrides["auto_seed"] = False
    return Settings(**overrides)


def open_engine(
    args: argparse.Namespace, *, seed: bool = True, settings: Settings | None = None
) -> Engine:
    engine = Engine(settings or settings_from(args))
    if seed:
        engine.ensure_corpus(notify=lambda msg: print(msg, file=sys.stderr))
    return engine


@contextmanager
def opened_engine(
    args: argparse.Namespace, *, seed: bool = True, settings: Settings | None = None
) -> Iterator[Engine]:
    """`open_engine` for a `with` block: the database is closed however the command ends."""
    engine = open_engine(args, seed=seed, settings=settings)
    try:
        yield engine
    finally:
        engine.close()


def print_json(
    obj: BaseModel | Sequence[BaseModel] | dict[str, Any], *, indent: int | None = 2
) -> None:
    if isinstance(obj, BaseModel):
        data: Any = obj.model_dump(mode="json", exclude_none=False)
    elif isinstance(obj, Sequence):
        data = [o.model_dump(mode="json") for o in obj]
    else:
        data = obj
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=indent) + "\n")
    sys.stdout.flush()


class TerminalProgress:
    """A one-line progress counter on stderr, silent when stderr is not a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty()
        self.started = time.monotonic()
        self.last = 0.0
        self.count = 0

    def __call__(self, processed: int) -> None:
        self.count = processed
        now = time.monotonic()
        if self.enabled and now - self.last >= 0.1:
            self.last = now
            rate = processed / max(now - self.started, 1e-6)
            sys.stderr.write(f"\r{self.label}: {processed:,} records ({rate:,.0f}/s)")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self.count:
            sys.stderr.write("\n")
