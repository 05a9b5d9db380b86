"""`briefbot ask "QUESTION"` and `briefbot ask --json -` (JSONL over stdin)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

from pydantic import TypeAdapter, ValidationError

from bot.answer.citations import source_text
from bot.cli.common import (
    add_filters,
    filters_from,
    open_engine,
    positive_int,
    print_json,
    settings_from,
)
from bot.config import Settings
from bot.engine import Engine
from bot.errors import BriefbotError
from bot.models import Answer, SearchFilters, Turn

T = TypeVar("T")


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
    p.add_argument("--k", type=positive_int, default=None, help="passages to consider")
    add_mode(p)
    p.add_argument(
        "--history",
        type=Path,
        metavar="FILE",
        help="JSON list of earlier turns [{question, answer}, ...] for a follow-up question",
    )
    p.add_argument(
        "--language",
        metavar="CODE",
        help="the reader's language (ISO 639-1, e.g. de) when the question's cannot be told",
    )
    add_filters(p)
    p.set_defaults(func=run)


def add_mode(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--mode",
        choices=["extractive", "llm"],
        default=None,
        help="who writes the answer (default: llm when an LLM endpoint is configured)",
    )


def check_mode(args: argparse.Namespace, settings: Settings) -> None:
    if args.mode == "llm" and not settings.llm_enabled:
        raise BriefbotError(
            "--mode llm needs an LLM endpoint: set BRIEFBOT_LLM_BASE_URL "
            "and/or BRIEFBOT_LLM_API_KEY (or OPENAI_API_KEY with BRIEFBOT_LLM_PROVIDER=openai)"
        )


def read_history(path: Path | None) -> list[Turn]:
    """Earlier turns from a JSON file; a clear error for anything else."""
    if path is None:
        return []
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BriefbotError(f"cannot read history file {path}: {exc.strerror}") from exc
    try:
        return TypeAdapter(list[Turn]).validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise BriefbotError(
            f"history file {path} must be a JSON list of {{question, answer}} objects "
            f"({where or 'top level'}: {first.get('msg')})"
        ) from exc


def format_answer(answer: Answer) -> str:
    lines = [answer.answer]
    if answer.note:
        lines.append(f"({answer.note})")
    if answer.sources:
        lines.append("")
        lines.append("Sources:")
        lines.extend(source_text(ref) for ref in answer.sources)
    return "\n".join(lines)


async def _answer(
    engine: Engine,
    question: str,
    args: argparse.Namespace,
    filters: SearchFilters | None,
    history: list[Turn],
) -> Answer:
    return await engine.ask(
        question,
        k=args.k,
        filters=filters,
        history=history,
        mode=args.mode,
        language=args.language,
    )


async def closing_engine(engine: Engine, work: Awaitable[T]) -> T:
    """Run `work`, then close the engine (and its LLM client) on the same event loop."""
    try:
        return await work
    finally:
        await engine.aclose()


def run(args: argparse.Namespace) -> int:
    filters = filters_from(args)
    history = read_history(args.history)
    if args.question != "-" and not args.question.strip():
        raise BriefbotError("the question is empty")
    check_mode(args, settings_from(args))
    engine = open_engine(args)
    if args.question == "-":
        return asyncio.run(closing_engine(engine, _run_stream(engine, args, filters, history)))
    answer = asyncio.run(
        closing_engine(engine, _answer(engine, args.question, args, filters, history))
    )
    if args.json:
        print_json(answer)
    else:
        print(format_answer(answer))
    return 0


async def _run_stream(
    engine: Engine,
    args: argparse.Namespace,
    filters: SearchFilters | None,
    history: list[Turn],
) -> int:
    for line in sys.stdin:
        question = line.strip()
        if not question:
            continue
        answer = await _answer(engine, question, args, filters, history)
        if args.json:
            sys.stdout.write(json.dumps(answer.model_dump(mode="json"), ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            print(format_answer(answer) + "\n")
    return 0
