"""`briefbot doctor`: one line per misconfiguration, real probes against the loopback Bot API
emulator, OpenAI-compatible and embeddings servers, feeds' errors and running bots' counters."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings
from bot.engine import Engine
from bot.ops.heartbeat import Heartbeat
from tests.embedding_server import EmbeddingServer
from tests.support.botapi import BotApiEmulator
from tests.support.openai_server import FakeOpenAIServer, openai_server

__all__ = ["openai_server"]

LLM_KEY = "sk-doctor-secret-0123"


async def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = await asyncio.to_thread(main, ["doctor", *args])
    out = capsys.readouterr().out
    return code, out


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_all_is_well_with_telegram_and_llm_answering(
    botapi: BotApiEmulator,
    openai_server: FakeOpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", botapi.token)
    monkeypatch.setenv("BRIEFBOT_TELEGRAM_API_URL", botapi.url)
    monkeypatch.setenv("BRIEFBOT_LLM_BASE_URL", openai_server.url)
    monkeypatch.setenv("BRIEFBOT_LLM_API_KEY", LLM_KEY)
    monkeypatch.setenv("BRIEFBOT_LLM_MODEL", "fake-model")
    code, out = await doctor(capsys, "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"], out
    found = {f["check"]: f for f in report["findings"]}
    assert found["settings"]["status"] == "ok"
    assert found["telegram"]["message"].startswith("token accepted: @briefbot_test_bot")
    assert found["llm"]["status"] == "ok"
    assert f"LLM answers: on, fake-model at {openai_server.url}" in found["llm"]["message"]
    assert "reachable" in found["llm"]["message"]
    assert [r.path for r in openai_server.requests] == ["/v1/models"]
    assert openai_server.requests[0].headers["authorization"] == f"Bearer {LLM_KEY}"
    assert LLM_KEY not in out and botapi.token not in out


async def test_each_misconfiguration_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BRIEFBOT_TOP_K", "0")
    monkeypatch.setenv("BRIEFBOT_BRIEFING_DEFAULT_TIMEZONE", "Mars/Olympus")
    monkeypatch.setenv("BRIEFBOT_TELEGRAM_WEBHOOK_URL", "http://bot.example.com/hook")
    monkeypatch.setenv("BRIEFBOT_TELEGRAM_WEBHOOK_SECRET", "has spaces!")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "not-a-token")
    monkeypatch.setenv("BRIEFBOT_LLM_BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    monkeypatch.setenv("BRIEFBOT_LLM_API_KEY", LLM_KEY)
    code, out = await doctor(capsys)
    assert code == 1
    lines = out.splitlines()

    def one(*parts: str) -> str:
        matching = [line for line in lines if all(p in line for p in parts)]
        assert len(matching) == 1, (parts, out)
        assert matching[0].startswith("FAIL"), matching[0]
        return matching[0]

    one("BRIEFBOT_TOP_K=0", "greater than or equal to 1")
    one("BRIEFBOT_BRIEFING_DEFAULT_TIMEZONE", "Mars/Olympus")
    one("BRIEFBOT_TELEGRAM_WEBHOOK_URL", "https")
    one("BRIEFBOT_TELEGRAM_WEBHOOK_SECRET")
    one("telegram", "does not look like a bot token")
    one("llm", "unreachable")
    assert "has spaces!" not in out, "a secret's value is never shown"
    assert LLM_KEY not in out
    assert lines[-1].startswith("problems found")


async def test_model_the_endpoint_does_not_serve_fails(
    openai_server: FakeOpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("BRIEFBOT_LLM_BASE_URL", openai_server.url)
    monkeypatch.setenv("BRIEFBOT_LLM_MODEL", "gpt-9-imaginary")
    code, out = await doctor(capsys)
    assert code == 1
    assert "'gpt-9-imaginary' is not served (fake-model)" in out


async def test_openai_key_alone_is_reported_as_ignored(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-shell-key-999")
    code, out = await doctor(capsys, "--offline")
    assert code == 0, "a warning is not a failure"
    assert any(
        line.startswith("WARN") and "BRIEFBOT_LLM_PROVIDER=openai" in line
        for line in out.splitlines()
    )
    assert "LLM answers: off" in out and "sk-shell-key-999" not in out


async def test_embeddings_endpoint_is_probed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with EmbeddingServer() as server:
        monkeypatch.setenv("BRIEFBOT_RETRIEVAL", "hybrid")
        monkeypatch.setenv("BRIEFBOT_EMBEDDINGS_BASE_URL", server.base_url)
        code, out = await doctor(capsys)
        assert code == 0 and "64 dimensions" in out
        server.fail_status = 500
        code, out = await doctor(capsys)
        assert code == 1
        assert any(line.startswith("FAIL") and "embeddings" in line for line in out.splitlines())


async def test_paused_feed_and_running_bot_counters(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = Engine(settings)
    try:
        engine.ensure_corpus()
        feed = engine.add_feed("https://feeds.example.com/rss.xml", name="Example")
        engine.store.feeds.record_failure(
            feed.id,
            now=datetime.now(UTC),
            error="HTTP 500 from feeds.example.com",
            base_minutes=1,
            max_minutes=10,
            max_failures=1,
        )
        await engine.ask("What hit Ain al-Asad?")
        Heartbeat(engine, "polling").beat()
    finally:
        engine.close()
    code, out = await doctor(capsys, "--json", "--offline")
    report = json.loads(out)
    assert code == 1 and not report["ok"]
    [paused] = [f for f in report["findings"] if f["status"] == "fail"]
    assert paused["check"] == "feeds"
    assert "Example" in paused["message"] and "HTTP 500 from feeds.example.com" in paused["message"]
    database = next(f for f in report["findings"] if f["check"] == "database")
    assert "1 articles" in database["message"] and "1 feeds" in database["message"]
    [(name, state)] = report["instances"].items()
    assert name == socket.gethostname() and state["mode"] == "polling"
    counters = state["counters"]
    assert counters["briefbot_answers_total{fallback_reason=,mode=extractive}"] == 1.0

    code, text = await doctor(capsys, "--offline")
    assert f"bot   {name}: polling, heartbeat" in text and "answers 1" in text
