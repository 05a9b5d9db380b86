"""Cost guards: the circuit breaker over a failing endpoint, the all-chats daily budget, and
the rule that decides when LLM answers are on. Real openai client → loopback server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.config import Settings
from bot.engine import Engine
from bot.llm.breaker import CircuitBreaker
from tests.llm_helpers import cited, corpus_engine, llm_settings, passage_with
from tests.support.openai_server import FakeOpenAIServer, Reply, Request, openai_server

__all__ = ["openai_server"]

QUESTION = "What hit Ain al-Asad airbase?"


def good_reply(request: Request) -> Reply:
    n = passage_with(request, "barrage of drones and missiles")
    return Reply(content=cited(("A barrage of drones and missiles struck the airbase.", [n])))


def test_breaker_opens_after_n_failures_and_lets_one_trial_through() -> None:
    now = [0.0]
    breaker = CircuitBreaker(2, 10.0, clock=lambda: now[0])
    breaker.failed()
    assert breaker.allow() and breaker.state == "closed"
    breaker.failed()
    assert not breaker.allow() and breaker.state == "open"
    now[0] = 10.5
    assert breaker.state == "half_open"
    assert breaker.allow(), "the first caller after the cool-down gets the trial"
    assert not breaker.allow(), "only one trial at a time"
    breaker.failed()
    assert breaker.state == "open" and not breaker.allow()
    now[0] = 21.0
    assert breaker.allow()
    breaker.succeeded()
    assert breaker.state == "closed" and breaker.failures == 0
    off = CircuitBreaker(0, 10.0)
    for _ in range(5):
        off.failed()
    assert off.allow()


async def test_open_circuit_falls_back_at_once_then_recovers(
    openai_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    settings = llm_settings(
        tmp_path,
        openai_server.url,
        llm_max_retries=0,
        llm_circuit_failures=2,
        llm_circuit_seconds=0.5,
    )
    engine = corpus_engine(settings, tmp_path)
    try:
        openai_server.respond_with(lambda _r: Reply.error(500, "down"))
        for _ in range(2):
            answer = await engine.ask(QUESTION)
            assert answer.fallback_reason == "server_error"
        assert len(openai_server.requests) == 2
        loop = asyncio.get_running_loop()
        started = loop.time()
        answer = await engine.ask(QUESTION)
        assert (answer.mode, answer.fallback_reason) == ("extractive", "circuit_open")
        assert "drones and missiles" in answer.answer
        assert len(openai_server.requests) == 2, "an open circuit sends nothing"
        assert loop.time() - started < 0.5
        snapshot = engine.metrics.snapshot()
        assert snapshot["briefbot_llm_circuit_open"] == 1.0
        key = "briefbot_answers_total{fallback_reason=circuit_open,mode=extractive}"
        assert snapshot[key] == 1.0
        assert snapshot["briefbot_answers_total{fallback_reason=server_error,mode=extractive}"] == 2

        openai_server.respond_with(good_reply)
        await asyncio.sleep(0.6)
        answer = await engine.ask(QUESTION)
        assert (answer.mode, answer.fallback_reason) == ("llm", None)
        assert engine.metrics.snapshot()["briefbot_llm_circuit_open"] == 0.0
        assert engine.metrics.snapshot()["briefbot_llm_request_seconds_count"] == 1.0
    finally:
        await engine.aclose()


async def test_all_chats_budget_stops_llm_answers_for_everyone(
    openai_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    settings = llm_settings(tmp_path, openai_server.url, llm_daily_tokens_total=500)
    engine = corpus_engine(settings, tmp_path)
    try:
        openai_server.respond_with(good_reply)
        first = await engine.ask(QUESTION, chat_id="1")
        assert first.mode == "llm" and first.usage is not None
        assert first.usage.prompt_tokens + first.usage.completion_tokens >= 500
        second = await engine.ask(QUESTION, chat_id="2")
        assert (second.mode, second.fallback_reason) == ("extractive", "daily_budget_total")
        assert second.note is not None and "The bot has used today's allowance" in second.note
        assert len(openai_server.requests) == 1
        tokens = engine.metrics.snapshot()
        assert tokens["briefbot_llm_tokens_total{kind=prompt}"] == first.usage.prompt_tokens
    finally:
        await engine.aclose()


def test_openai_api_key_alone_does_not_turn_llm_answers_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-shell")
    settings = Settings()
    assert not settings.llm_enabled
    assert "sk-from-the-shell" in settings.secret_values()
    monkeypatch.setenv("BRIEFBOT_LLM_PROVIDER", "openai")
    assert Settings().llm_enabled and Settings().llm.key == "sk-from-the-shell"
    monkeypatch.delenv("BRIEFBOT_LLM_PROVIDER")
    monkeypatch.setenv("BRIEFBOT_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    on = Settings()
    assert on.llm_enabled and on.llm.key == "sk-from-the-shell", "the key still serves a base URL"
    monkeypatch.delenv("BRIEFBOT_LLM_BASE_URL")
    monkeypatch.setenv("BRIEFBOT_LLM_API_KEY", "sk-briefbot")
    assert Settings().llm_enabled and Settings().llm.key == "sk-briefbot"


async def test_extractive_engine_counts_answers(engine: Engine) -> None:
    engine.ensure_corpus()
    await engine.ask(QUESTION)
    assert (
        engine.metrics.snapshot()["briefbot_answers_total{fallback_reason=,mode=extractive}"] == 1
    )
