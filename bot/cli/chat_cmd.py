"""`briefbot chat`: an interactive session in the terminal where follow-ups just work."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from bot.cli.ask_cmd import add_mode, check_mode, format_answer
from bot.cli.common import add_filters, filters_from, open_engine, settings_from
from bot.engine import Engine
from bot.models import SearchFilters, Turn

MAX_TURNS_KEPT = 10
HELP = "Ask a question; follow-ups refer to earlier answers. /new starts over, /quit leaves."


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "chat",
        parents=[parent],
        help="interactive questions with follow-ups",
        description="An interactive session: each line is a question; follow-up questions "
        "('and who claimed it?') use the conversation so far. Reads stdin, so it can be piped.",
    )
    p.add_argument("--json", action="store_true", help="print each answer as one JSON line")
    add_mode(p)
    add_filters(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    filters = filters_from(args)
    check_mode(args, settings_from(args))
    engine = open_engine(args)
    return asyncio.run(_session(engine, args, filters))


async def _session(engine: Engine, args: argparse.Namespace, filters: SearchFilters | None) -> int:
    interactive = sys.stdin.isatty()
    if interactive:
        print(HELP, file=sys.stderr)
    history: list[Turn] = []
    try:
        while True:
            line = _read(interactive)
            if line is None:
                break
            question = line.strip()
            if not question:
                continue
            if question in ("/quit", "/exit"):
                break
            if question in ("/new", "/reset"):
                history.clear()
                print("(new conversation)", file=sys.stderr)
                continue
            if question.startswith("/") and " " not in question:
                known = "" if question == "/help" else f"unknown command {question}. "
                print(known + HELP, file=sys.stderr)
                continue
            answer = await engine.ask(question, filters=filters, history=history, mode=args.mode)
            if args.json:
                print(json.dumps(answer.model_dump(mode="json"), ensure_ascii=False), flush=True)
            else:
                print(format_answer(answer) + "\n", flush=True)
            history.append(Turn(question=question, answer=answer.answer))
            del history[:-MAX_TURNS_KEPT]
    finally:
        await engine.aclose()
    return 0


def _read(interactive: bool) -> str | None:
    try:
        return input("? ") if interactive else (sys.stdin.readline() or None)
    except EOFError:
        return None
