"""Translations into the reader's language are LLM calls like answers: in the usage ledger
under the chat, inside its daily allowances, and within the answer's own deadline."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.answer import language
from bot.engine import Engine
from tests.llm_helpers import llm_settings
from tests.support.openai_server import FakeOpenAIServer, Reply, Request, openai_server
from tests.test_insight import FIXTURE, QUESTION_DE, translating

__all__ = ["openai_server"]  # the fixture, imported for pytest


def ledger(engine: Engine, chat_id: str) -> list[tuple[str, int, str | None]]:
    rows = engine.store.db.query(
        "SELECT mode, prompt_tokens + completion_tokens, fallback_reason FROM llm_usage"
        " WHERE chat_id = ? ORDER BY id",
        (chat_id,),
    )
    return [(str(mode), int(tokens), reason) for mode, tokens, reason in rows]


@pytest.fixture
def make_engine(tmp_path: Path, openai_server: FakeOpenAIServer) -> Iterator[Callable[..., Engine]]:
    engines: list[Engine] = []

    def make(**overrides: object) -> Engine:
        settings = llm_settings(
            tmp_path, openai_server.url, auto_seed=False, llm_min_coverage=0.0, **overrides
        )
        engine = Engine(settings)
        engine.ingest([FIXTURE])
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


async def test_translation_tokens_go_to_the_chats_ledger_and_the_answers_usage(
    make_engine: Callable[..., Engine], openai_server: FakeOpenAIServer
) -> None:
    openai_server.respond_with(translating)
    engine = make_engine()
    answer = await engine.ask(QUESTION_DE, chat_id="9")
    rows = ledger(engine, "9")
    assert answer.language == "de" and answer.usage is not None
    assert [(mode, reason) for mode, _, reason in rows] == [("llm", None), ("translation", None)]
    assert all(tokens > 0 for _, tokens, _ in rows)
    assert answer.usage.prompt_tokens + answer.usage.completion_tokens == sum(
        tokens for _, tokens, _ in rows
    )
    assert engine.usage.used_on("9", engine.pipeline.clock()) == sum(t for _, t, _ in rows)


@pytest.mark.parametrize(
    ("allowance", "reason", "told"),
    [
        ({"llm_daily_tokens_per_chat": 1}, "daily_budget", "This chat has used today's"),
        ({"llm_daily_tokens_total": 1}, "daily_budget_total", "The bot has used today's"),
    ],
)
async def test_a_spent_allowance_leaves_the_answer_untranslated_with_a_note(
    make_engine: Callable[..., Engine],
    openai_server: FakeOpenAIServer,
    allowance: dict[str, int],
    reason: str,
    told: str,
) -> None:
    openai_server.respond_with(translating)
    engine = make_engine(**allowance)
    # the answer is allowed (nothing used yet) and its tokens spend the allowance
    answer = await engine.ask(QUESTION_DE, chat_id="9")
    assert (answer.mode, answer.language) == ("llm", "en")
    assert answer.answer.startswith("At least 12 people were killed")
    assert answer.note and told in answer.note
    assert "Quoted from the sources in English" in answer.note
    assert len(openai_server.requests) == 1  # the translation was never asked for
    assert [mode for mode, _, _ in ledger(engine, "9")] == ["llm"]
    again = await engine.ask(QUESTION_DE, chat_id="9")
    assert (again.mode, again.fallback_reason) == ("extractive", reason)


async def test_the_translation_shares_the_answers_deadline(
    make_engine: Callable[..., Engine], openai_server: FakeOpenAIServer
) -> None:
    """Each call fits the deadline alone (0.3 s and 2.8 s of 3 s), together they do not; the
    answer keeps 2.7 s of slack for a loaded machine."""
    language.detect("warm the language model up before the clock runs")

    def slow(request: Request) -> Reply:
        reply = translating(request)
        reply.delay = 2.8 if "<<<SENTENCE 1>>>" in request.text("user") else 0.3
        return reply

    openai_server.respond_with(slow)
    engine = make_engine(llm_deadline=3.0)
    answer = await engine.ask(QUESTION_DE, chat_id="9")
    assert (answer.mode, answer.language) == ("llm", "en")
    assert answer.note and "Quoted from the sources in English" in answer.note
    assert ledger(engine, "9")[-1][::2] == ("translation", "deadline")
