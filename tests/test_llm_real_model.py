"""The LLM paths against a real model: llama.cpp (xllamacpp) serving SmolLM2-135M-Instruct.

A 135M model writes poor answers, so these tests assert the plumbing, not the content:
the reply parses (the bounded schema makes the grammar close the JSON), every kept
sentence cites a passage that was supplied, time stays bounded, and a fallback carries
its reason. Content is asserted against the scripted server in the other LLM tests.
One server serves the whole session; settings keep prompts and replies small.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.answer.llm_answer import CONDENSE_MAX_TOKENS, Attempt
from bot.briefing.builder import BriefingBuilder
from bot.briefing.window import day_window
from bot.config import Settings
from bot.engine import Engine
from bot.models import Answer, Turn
from tests.support.botapi import BotApiEmulator
from tests.support.llamacpp import llamacpp_url
from tests.support.telegram_bot import bot_settings, botapi, run_bot
from tests.support.tg_html import parse_html
from tests.test_briefing_llm import DAY, FIXTURE

__all__ = ["botapi", "llamacpp_url"]  # fixtures, imported for pytest

REPO = Path(__file__).resolve().parent.parent
MAX_TOKENS = 200
SECONDS = 60.0
QUESTION = "What hit Ain al-Asad?"
USER = 7
# Reasons a parsed reply may still end in the extractive answer; never "invalid_reply".
FALLBACKS = {"nothing_verified", "not_in_sources", "no_relevant_passages", "prompt_budget"}

SMALL = {
    "llm_model": "smollm2",
    "llm_temperature": 0.0,
    "llm_max_completion_tokens": MAX_TOKENS,
    "llm_prompt_budget": 700,
    "max_answer_sentences": 2,
    "llm_timeout": SECONDS,
    "llm_deadline": SECONDS,
    "llm_max_retries": 0,
}


def real_settings(tmp_path: Path, url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {"data_dir": tmp_path / "data", "llm_base_url": url, **SMALL}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def seeded(tmp_path: Path, llamacpp_url: str) -> Iterator[Engine]:
    engine = Engine(real_settings(tmp_path, llamacpp_url))
    engine.ensure_corpus()
    yield engine
    engine.close()


def assert_trustworthy(answer: Answer) -> None:
    """Parsed, cited from what was supplied, or fallen back with a reason."""
    assert answer.fallback_reason != "invalid_reply"
    assert answer.verification is not None, "the reply parsed and was verified"
    refs = {s.n for s in answer.sources}
    if answer.mode == "llm":
        assert answer.fallback_reason is None and answer.sentences
        assert all(s.citations and set(s.citations) <= refs for s in answer.sentences)
    else:
        assert answer.fallback_reason in FALLBACKS
    assert answer.usage is not None
    assert 0 < answer.usage.completion_tokens <= MAX_TOKENS


def test_cli_ask_json_with_the_real_model(tmp_path: Path, llamacpp_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.update({f"BRIEFBOT_{k.upper()}": str(v) for k, v in SMALL.items()})
    env.update(
        PYTHONPATH=str(REPO),
        BRIEFBOT_DATA_DIR=str(tmp_path / "data"),
        BRIEFBOT_LLM_BASE_URL=llamacpp_url,
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "--mode", "llm", QUESTION],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=3 * SECONDS,  # a hang guard, not a speed check: a loaded machine is slow
    )
    assert done.returncode == 0, done.stderr
    assert_trustworthy(Answer.model_validate(json.loads(done.stdout)))


async def test_follow_up_rewrite_with_the_real_model(seeded: Engine) -> None:
    attempt = Attempt()
    history = [Turn(question=QUESTION, answer="Drones and missiles hit the Ain al-Asad airbase.")]
    rewritten = await seeded.llm.standalone_question("and who launched them?", history, attempt)
    await seeded.llm.client.close()
    assert rewritten.strip() and "\n" not in rewritten.strip()
    assert 0 < attempt.usage.completion_tokens <= CONDENSE_MAX_TOKENS


async def test_briefing_summary_with_the_real_model(tmp_path: Path, llamacpp_url: str) -> None:
    engine = Engine(real_settings(tmp_path, llamacpp_url, auto_seed=False, briefing_top_stories=1))
    day = tmp_path / "apple.jsonl"  # one short three-article story: a small prompt
    day.write_text(
        "".join(line for line in FIXTURE.open(encoding="utf-8") if "Apple Pencil" in line),
        encoding="utf-8",
    )
    engine.ingest([day])
    builder = BriefingBuilder(engine.store, engine.settings)
    try:
        briefing = await builder.abuild(day_window(DAY), (), engine.briefing_summariser("llm"))
        rows = engine.store.db.query(
            "SELECT fallback_reason, completion_tokens FROM llm_usage WHERE chat_id = 'briefings'"
        )
    finally:
        await engine.llm.client.close()
        engine.close()
    [story] = briefing.stories
    refs = {r.n for r in briefing.sources}
    assert story.sentences and all(set(s.citations) <= refs for s in story.sentences)
    [(reason, tokens)] = rows
    assert not (reason or "").startswith("invalid_reply")
    assert story.mode == ("llm" if reason is None else "extractive")
    assert 0 < tokens <= MAX_TOKENS


async def test_telegram_streams_the_real_model_then_shows_a_cited_answer(
    seeded: Engine, botapi: BotApiEmulator
) -> None:
    answers: list[Answer] = []
    ask = seeded.ask

    async def recorded(question: str, **kwargs: Any) -> Answer:
        answers.append(await ask(question, **kwargs))
        return answers[-1]

    seeded.ask = recorded  # type: ignore[method-assign]
    async with run_bot(seeded, bot_settings(seeded.settings, botapi), botapi):
        botapi.private_message(USER, QUESTION)
        deadline = time.monotonic() + SECONDS
        while not any("Sources" in t for t in shown(botapi)) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
    [answer] = answers
    assert_trustworthy(answer)
    texts = shown(botapi)
    assert "Sources" not in texts[0], "a draft was streamed before the answer"
    final = parse_html(texts[-1])
    assert "Sources" in final and "[1]" in final


def shown(api: BotApiEmulator) -> list[str]:
    """Texts sent or edited into the user's chat, in order."""
    calls = [c for c in api.calls if c.ok and c.method in {"sendMessage", "editMessageText"}]
    return [c.text for c in calls if c.chat_id == USER]
