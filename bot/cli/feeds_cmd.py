"""`briefbot feeds add|list|remove|resume|poll`: manage and poll subscribed feeds."""

from __future__ import annotations

import argparse
import asyncio

from bot.cli.common import opened_engine, print_json
from bot.feeds.summary import describe, describe_poll


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "feeds", parents=[parent], help="manage RSS/Atom feeds", description="Manage feeds."
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    add = actions.add_parser("add", parents=[parent], help="subscribe to a feed")
    add.add_argument("url")
    add.add_argument("--name", help="display name (default: the feed's title)")
    add.add_argument("--interval", type=int, metavar="MIN", help="minutes between polls")
    add.set_defaults(func=run_add)

    show = actions.add_parser("list", parents=[parent], help="feeds with their state")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=run_list)

    remove = actions.add_parser("remove", parents=[parent], help="unsubscribe (keeps articles)")
    remove.add_argument("feed", metavar="ID|URL")
    remove.set_defaults(func=run_remove)

    resume = actions.add_parser("resume", parents=[parent], help="un-pause a paused feed")
    resume.add_argument("feed", metavar="ID|URL")
    resume.set_defaults(func=run_resume)

    poll = actions.add_parser("poll", parents=[parent], help="poll feeds once, now")
    poll.add_argument("feeds", nargs="*", metavar="ID|URL", help="default: every unpaused feed")
    poll.add_argument("--json", action="store_true")
    poll.set_defaults(func=run_poll)


def run_add(args: argparse.Namespace) -> int:
    with opened_engine(args, seed=False) as engine:
        feed = engine.add_feed(args.url, name=args.name, interval_minutes=args.interval)
    print(f"added feed {feed.id}: {feed.url} (every {feed.interval_minutes} min)")
    return 0


def run_list(args: argparse.Namespace) -> int:
    with opened_engine(args, seed=False) as engine:
        feeds = engine.list_feeds()
    if args.json:
        print_json(feeds)
    elif not feeds:
        print("no feeds; add one with: briefbot feeds add URL")
    else:
        print("\n".join(describe(f) for f in feeds))
    return 0


def run_remove(args: argparse.Namespace) -> int:
    with opened_engine(args, seed=False) as engine:
        feed = engine.remove_feed(args.feed)
    print(f"removed feed {feed.id}: {feed.url}")
    return 0


def run_resume(args: argparse.Namespace) -> int:
    with opened_engine(args, seed=False) as engine:
        feed = engine.resume_feed(args.feed)
    print(f"resumed feed {feed.id}: {feed.url}")
    return 0


def run_poll(args: argparse.Namespace) -> int:
    with opened_engine(args, seed=False) as engine:
        results = asyncio.run(engine.poll_feeds(args.feeds or None))
    if args.json:
        print_json(results)
    elif not results:
        print("no feeds to poll")
    else:
        print("\n".join(describe_poll(r) for r in results))
    return 1 if results and all(r.status == "error" for r in results) else 0
