"""Telegram settings: token aliases, id lists from the environment, API base URLs."""

from __future__ import annotations

import logging

import pytest

from bot.cli.run_cmd import RedactSecrets
from bot.config import Settings
from bot.telegram.access import is_allowed
from bot.telegram.app import api_base_urls
from bot.telegram.limits import BUSY, QuestionGate


def test_token_from_either_variable_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:first")
    settings = Settings()
    assert settings.telegram.token is not None
    assert settings.telegram.token.get_secret_value() == "123:first"
    assert "123:first" not in repr(settings)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN")
    monkeypatch.setenv("BRIEFBOT_TELEGRAM_TOKEN", "123:second")
    assert Settings().telegram.token.get_secret_value() == "123:second"  # type: ignore[union-attr]


def test_every_secret_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:tok")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-llm")
    monkeypatch.setenv("BRIEFBOT_EMBEDDINGS_API_KEY", "sk-emb")
    assert sorted(Settings().secret_values()) == ["123:tok", "sk-emb", "sk-llm"]
    record = logging.LogRecord("x", logging.INFO, "f", 1, "key %s", ("sk-llm",), None)
    RedactSecrets(Settings().secret_values()).filter(record)
    assert record.getMessage() == "key <redacted>"


def test_id_lists_accept_commas_and_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFBOT_TELEGRAM_ALLOWED_USERS", "1, 2,3")
    monkeypatch.setenv("BRIEFBOT_TELEGRAM_ALLOWED_CHATS", "-100123")
    settings = Settings()
    assert settings.telegram.allowed_users == [1, 2, 3]
    assert settings.telegram.allowed_chats == [-100123]
    monkeypatch.setenv("BRIEFBOT_TELEGRAM_ADMIN_USERS", "x1")
    with pytest.raises(ValueError):
        Settings()


def test_api_base_urls() -> None:
    assert api_base_urls(None) == (
        "https://api.telegram.org/bot",
        "https://api.telegram.org/file/bot",
    )
    assert api_base_urls("http://local:8081/") == (
        "http://local:8081/bot",
        "http://local:8081/file/bot",
    )
    assert api_base_urls("http://local:8081/bot")[0] == "http://local:8081/bot"


def test_allowlist_rules() -> None:
    s = Settings(telegram_allowed_users=[1], telegram_allowed_chats=[-5], telegram_admin_users=[9])
    assert is_allowed(s, 1, 1, private=True)
    assert not is_allowed(s, 2, 2, private=True)
    assert is_allowed(s, 2, -5, private=False), "everyone in an allowed group"
    assert not is_allowed(s, 1, -6, private=False), "other groups are not served"
    assert is_allowed(s, 9, -6, private=False), "admins everywhere"
    assert is_allowed(Settings(), 2, -6, private=False), "empty lists mean open"


def test_question_gate_admits_one_at_a_time_within_the_rate() -> None:
    now = [0.0]
    gate = QuestionGate(limit=2, window=60, clock=lambda: now[0])
    assert gate.admit(1) is None
    assert gate.admit(1) == BUSY, "one request in flight per user"
    assert gate.admit(2) is None, "other users are not held up"
    gate.end(1)
    assert gate.admit(1) is None
    gate.end(1)
    now[0] = 15.0
    refusal = gate.admit(1)
    assert refusal is not None and "try again in 45 s" in refusal
    assert gate.admit(1, exempt=True) is None, "admins are exempt from the rate"
    gate.end(1)
    now[0] = 61.0
    assert gate.admit(1) is None
