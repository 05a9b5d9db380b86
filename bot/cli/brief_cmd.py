"""`briefbot brief [--date D | --since S --until U] [--topics …] [--json] [--mode …]`."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.cli.ask_cmd import add_mode, check_mode, closing_engine
from bot.cli.common import date_arg, open_engine, positive_int, print_json, settings_from
from bot.errors import BriefbotError

if TYPE_CHECKING:
    from bot.briefing.window import Window


def day_arg(value: str) -> date:
    text = value.strip().lower()
    today = datetime.now(UTC).date()
    if text in ("today", "yesterday"):
        return today - timedelta(days=1 if text == "yesterday" else 0)
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from exc


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "brief",
        parents=[parent],
        help="the news briefing: top stories with cited summaries",
        description="Group the articles of a window into stories and summarise the top ones. "
        "Default window: the last 24 hours (BRIEFBOT_BRIEFING_WINDOW_MAX_HOURS).",
    )
    p.add_argument("--date", type=day_arg, help="one calendar day (YYYY-MM-DD, today, yesterday)")
    p.add_argument("--tz", default="UTC", help="timezone of --date (IANA name, default UTC)")
    p.add_argument("--since", type=date_arg, help="window start (ISO date/time, 24h, 7d…)")
    p.add_argument("--until", type=date_arg, help="window end (default: now)")
    p.add_argument("--topics", nargs="+", metavar="KEYWORD", help="only stories matching these")
    p.add_argument(
        "--top", type=positive_int, default=None, help="how many stories (default: setting)"
    )
    p.add_argument("--json", action="store_true", help="print the briefing as JSON")
    add_mode(p)
    p.set_defaults(func=run)


def window_from(args: argparse.Namespace, max_hours: float) -> Window:
    from bot.briefing.window import day_window, explicit_window

    if args.date is not None:
        if args.since is not None or args.until is not None:
            raise BriefbotError("use either --date or --since/--until, not both")
        try:
            ZoneInfo(args.tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise BriefbotError(f"unknown timezone {args.tz!r} (use e.g. Europe/Berlin)") from exc
        return day_window(args.date, args.tz)
    return explicit_window(args.since, args.until or datetime.now(UTC), max_hours)


def run(args: argparse.Namespace) -> int:
    check_mode(args, settings_from(args))
    from bot.briefing.render import render_text
    from bot.briefing.topics import split_keywords

    engine = open_engine(args)
    try:
        window = window_from(args, engine.settings.briefing.window_max_hours)
    except BriefbotError:
        engine.close()
        raise
    topics = split_keywords(" ".join(args.topics or []))
    build = engine.build_briefing(window, topics, mode=args.mode, top=args.top)
    briefing = asyncio.run(closing_engine(engine, build))
    if args.json:
        print_json(briefing)
    else:
        print(render_text(briefing))
    return 0
