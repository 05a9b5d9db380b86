"""`briefbot timeline "TOPIC"` and `briefbot trend "TOPIC[, TOPIC…]" [--png FILE]`."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.cli.ask_cmd import add_mode, check_mode, closing_engine
from bot.cli.common import (
    date_arg,
    open_engine,
    opened_engine,
    print_json,
    settings_from,
    until_arg,
)
from bot.errors import BriefbotError


def _window(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", type=date_arg, help="window start (default: 14 days before --until)")
    p.add_argument(
        "--until",
        type=until_arg,
        help="window end, a date meaning its whole day (default: now, or the newest article "
        "of a corpus with nothing from the last week)",
    )


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    t = sub.add_parser(
        "timeline",
        parents=[parent],
        help="how a story developed: one cited line per development, oldest first",
        description="The developments of TOPIC in time order: the first report of each, "
        "cited, with how many other outlets carried it.",
    )
    t.add_argument("topic", help="what the timeline is about, e.g. 'Gaza hospital explosion'")
    _window(t)
    t.add_argument("--json", action="store_true", help="print the timeline as JSON")
    add_mode(t)
    t.set_defaults(func=run_timeline)

    r = sub.add_parser(
        "trend",
        parents=[parent],
        help="articles per day about one or more topics (a chart with --png)",
        description="How many articles a day mention TOPIC (every word of it), with the top "
        "outlets. Several topics, comma-separated, share one chart.",
    )
    r.add_argument("topics", nargs="+", help="topic(s): 'gaza' or 'gaza, ukraine'")
    _window(r)
    r.add_argument("--png", type=Path, metavar="FILE", help="write the chart to FILE")
    r.add_argument("--json", action="store_true", help="print the counts as JSON")
    r.set_defaults(func=run_trend)


def _topic(text: str) -> str:
    topic = " ".join(text.split())
    if not topic:
        raise BriefbotError("the topic is empty")
    return topic


def run_timeline(args: argparse.Namespace) -> int:
    from bot.insight.render import render_text

    topic = _topic(args.topic)
    check_mode(args, settings_from(args))
    engine = open_engine(args)
    work = engine.timeline(topic, since=args.since, until=args.until, mode=args.mode)
    timeline = asyncio.run(closing_engine(engine, work))
    if args.json:
        print_json(timeline)
    else:
        print(render_text(timeline))
    return 0


def run_trend(args: argparse.Namespace) -> int:
    from bot.insight.topic import trend_topics
    from bot.insight.trend import text_report

    topics = trend_topics(" ".join(args.topics))
    if not topics:
        raise BriefbotError("the topic is empty")
    with opened_engine(args) as engine:
        trend = engine.trend(topics, since=args.since, until=args.until)
        png = engine.trend_chart(trend) if args.png else None
    if png is not None:
        try:
            args.png.write_bytes(png)
        except OSError as exc:
            raise BriefbotError(f"cannot write {args.png}: {exc.strerror}") from exc
    if args.json:
        print_json(trend)
    elif png is not None:
        print(f"{trend.caption}\nchart written to {args.png}")
    else:
        print(text_report(trend))
    return 0
