"""`briefbot subscriptions list|add|remove|pause|resume|log`: manage briefings by chat id."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.common import opened_engine, print_json
from bot.errors import BriefbotError
from bot.models import SubscriptionStatus

if TYPE_CHECKING:
    from bot.briefing.models import SendOutcome
    from bot.briefing.service import BriefingService


async def _no_transport(**_: object) -> SendOutcome:
    raise BriefbotError("the CLI does not deliver briefings; the Telegram bot does")


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "subscriptions", parents=[parent], help="list or change briefing subscriptions"
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    ls = actions.add_parser("list", parents=[parent], help="all subscriptions (or one chat's)")
    ls.add_argument("--chat", type=int)
    ls.add_argument("--json", action="store_true")
    add = actions.add_parser(
        "add", parents=[parent], help="subscribe a chat: CHAT [HH:MM] [TIMEZONE] [KEYWORDS…]"
    )
    add.add_argument("chat", type=int)
    add.add_argument("args", nargs="*", help="as for /subscribe: [HH:MM] [timezone] [keywords…]")
    for name, text in (("remove", "unsubscribe"), ("pause", "pause"), ("resume", "resume")):
        a = actions.add_parser(name, parents=[parent], help=f"{text} a chat")
        a.add_argument("chat", type=int)
        a.add_argument("--thread", type=int, default=None)
    add.add_argument("--thread", type=int, default=None)
    log = actions.add_parser("log", parents=[parent], help="recent deliveries")
    log.add_argument("--chat", type=int)
    log.add_argument("--limit", type=int, default=50)
    log.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with opened_engine(args, seed=False) as engine:
        return _dispatch(engine.briefing_service(_no_transport), args)


def _dispatch(service: BriefingService, args: argparse.Namespace) -> int:
    if args.action == "list":
        subs = service.subscriptions_of(args.chat)
        if args.json:
            print_json(subs)
        elif not subs:
            print("no subscriptions; add one with: briefbot subscriptions add CHAT [HH:MM] …")
        for s in subs if not args.json else []:
            thread = f" thread {s.thread_id}" if s.thread_id else ""
            print(f"chat {s.chat_id}{thread}: {service.describe(s)}")
        return 0
    if args.action == "log":
        items = service.recent_deliveries(args.chat, args.limit)
        if args.json:
            print_json(items)
        elif not items:
            print("no briefings delivered yet")
        for d in items if not args.json else []:
            print(f"{d.slot.isoformat()}  chat {d.chat_id}  {d.status.value}  {d.detail or ''}")
        return 0
    if args.action == "add":
        sub = service.subscribe(args.chat, args.thread, args.args)
        print(f"chat {sub.chat_id}: {service.describe(sub)}")
        return 0
    if args.action == "remove":
        if not service.unsubscribe(args.chat, args.thread):
            raise BriefbotError(f"chat {args.chat} has no subscription")
        print(f"chat {args.chat}: unsubscribed")
        return 0
    status = SubscriptionStatus.PAUSED if args.action == "pause" else SubscriptionStatus.ACTIVE
    changed = service.set_status(args.chat, args.thread, status)
    if changed is None:
        raise BriefbotError(f"chat {args.chat} has no subscription")
    print(f"chat {args.chat}: {service.describe(changed)}")
    return 0
