"""BRIEFBOT_LOG_FORMAT=json: one JSON object per line, chat and user ids hashed, secrets
redacted (tracebacks included); `briefbot run` logs its start-up summary."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.ops.logs import IdHasher, configure_logging
from tests.support.botapi import BotApiEmulator
from tests.test_telegram_cli import _env, _start, _stop

SECRET = "sk-log-secret-42"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    named = {n: logging.getLogger(n).level for n in ("briefbot", "bot", "httpx")}
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, old in named.items():
        logging.getLogger(name).setLevel(old)


def lines(err: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def test_json_lines_hash_ids_and_redact_secrets(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("json", [SECRET], hash_key="123:token")
    log = logging.getLogger("bot.test")
    log.info("briefing sent to chat %s for slot %s", -100123, "2023-10-17T08:00")
    log.warning("refused update from user %s in chat %s", 4242, 77)
    log.info("plain count %s", 4242)
    log.info("handled", extra={"chat_id": -100123, "mode": "llm"})
    try:
        raise RuntimeError(f"endpoint said no to {SECRET}")
    except RuntimeError:
        log.exception("call failed with key %s", SECRET)
    sent, refused, count, extra, failed = lines(capsys.readouterr().err)
    hashed = IdHasher("123:token")
    assert sent["message"] == f"briefing sent to chat {hashed(-100123)} for slot 2023-10-17T08:00"
    assert sent["level"] == "INFO" and sent["logger"] == "bot.test"
    assert refused["message"] == f"refused update from user {hashed(4242)} in chat {hashed(77)}"
    assert count["message"] == "plain count 4242", "only ids after 'chat'/'user' are hashed"
    assert extra["chat_id"] == hashed(-100123) and extra["mode"] == "llm"
    assert failed["message"] == "call failed with key <redacted>"
    assert "RuntimeError" in str(failed["exception"]) and SECRET not in json.dumps(failed)
    assert IdHasher("other").__call__(77) != hashed(77)


def test_text_format_redacts_tracebacks_too(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("text", [SECRET])
    try:
        raise ValueError(SECRET)
    except ValueError:
        logging.getLogger("bot.test").exception("boom")
    err = capsys.readouterr().err
    assert "boom" in err and "ValueError: <redacted>" in err and SECRET not in err


async def test_run_logs_json_with_the_startup_summary(
    tmp_path: Path, botapi: BotApiEmulator
) -> None:
    user = 515151
    env = _env(
        tmp_path,
        BRIEFBOT_TELEGRAM_TOKEN=botapi.token,
        BRIEFBOT_TELEGRAM_API_URL=botapi.url,
        BRIEFBOT_TELEGRAM_POLL_TIMEOUT="1",
        BRIEFBOT_TELEGRAM_ALLOWED_USERS="1",
        BRIEFBOT_LOG_FORMAT="json",
        OPENAI_API_KEY=SECRET,
    )
    proc = await _start(env)
    try:
        botapi.private_message(user, "What hit Ain al-Asad?")
        await botapi.wait_for("sendMessage", timeout=30)
    finally:
        code, err = await _stop(proc)
    assert code == 0
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    messages = [str(r["message"]) for r in records]
    assert any("LLM answers: off" in m and "BRIEFBOT_LLM_PROVIDER" in m for m in messages)
    assert any(m.startswith("database: ") for m in messages)
    assert any(m.startswith("refused update from user h:") for m in messages)
    assert str(user) not in err
    assert SECRET not in err and botapi.token not in err
