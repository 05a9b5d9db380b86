"""`briefbot ask "QUESTION"` and `briefbot ask --json -` (JSONL over stdin)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from bot.cli.common import add_filters, filters_from, open_engine, print_json
from bot.engine import Engine
from bot.errors import BriefbotError
from bot.models import Answer, SearchFilters


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "ask",
        parents=[parent],
        help="answer a question with cited sources",
        description="Answer QUESTION from the corpus. With --json and '-' as "
        "the question, read one question per line from stdin and write JSONL.",
    )
    p.add_argument("question", help="the question, or '-' to read questions from stdin")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument("--k", type=int, default=None, help="passages to consider")
    add_filters(p)
    p.set_defaults(func=run)


def format_answer(answer: Answer) -> str:
    lines = [answer.answer]
    if answer.sources:
        lines.append("")
        lines.append("Sources:")
        for ref in answer.sources:
            parts = [ref.title]
            if ref.source:
                parts.append(ref.source)
            if ref.published_at:
                parts.append(ref.published_at.date().isoformat())
            line = f"[{ref.n}] " + " · ".join(parts)
            if ref.url:
                line += f"\n    {ref.url}"
            lines.append(line)
    return "\n".join(lines)


async def _answer(
    engine: Engine, question: str, args: argparse.Namespace, filters: SearchFilters | None
) -> Answer:
    return await engine.ask(question, k=args.k, filters=filters)


def run(args: argparse.Namespace) -> int:
    if args.k is not None and args.k < 1:
        raise BriefbotError("--k must be at least 1")
    filters = filters_from(args)
    engine = open_engine(args)
    try:
        if args.question == "-":
            return asyncio.run(_run_stream(engine, args, filters))
        if not args.question.strip():
            raise BriefbotError("the question is empty")
        answer = asyncio.run(_answer(engine, args.question, args, filters))
    finally:
        engine.close()
    if args.json:
        print_json(answer)
    else:
        print(format_answer(answer))
    return 0


async def _run_stream(
    engine: Engine, args: argparse.Namespace, filters: SearchFilters | None
) -> int:
    for line in sys.stdin:
        question = line.strip()
        if not question:
            continue
        answer = await _answer(engine, question, args, filters)
        if args.json:
            sys.stdout.write(json.dumps(answer.model_dump(mode="json"), ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            print(format_answer(answer) + "\n")
    return 0
