"""Pytest fixtures and helpers that run the real bot against the Bot API emulator.

Use from a test module (or a conftest) with:

    from tests.support.telegram_bot import botapi, run_bot  # noqa: F401  (fixture)
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.config import Settings
from bot.engine import Engine
from bot.telegram.app import build_application
from bot.telegram.runner import polling
from bot.telegram.services import Services
from tests.support.botapi import BotApiEmulator


@pytest.fixture
async def botapi() -> AsyncIterator[BotApiEmulator]:
    """A started Bot API emulator on 127.0.0.1 (a random port)."""
    async with BotApiEmulator() as api:
        yield api


def bot_settings(settings: Settings, api: BotApiEmulator, **overrides: Any) -> Settings:
    """`settings` pointed at the emulator, with fast test-friendly timings."""
    values: dict[str, Any] = {
        "telegram_api_url": api.url,
        "telegram_edit_interval_private": 0.0,
        "telegram_edit_interval_group": 0.0,
        "telegram_max_retries": 3,
    }
    values.update(overrides)
    return settings.model_copy(update=values)


@contextlib.asynccontextmanager
async def run_bot(
    engine: Engine, settings: Settings, api: BotApiEmulator
) -> AsyncIterator[Services]:
    """Build the real Application over `engine` and long-poll the emulator until exit."""
    services = Services.create(engine, settings)
    app = build_application(services, token=api.token)
    async with polling(app, timeout=1):
        yield services


class RecordingEngine(Engine):
    """The real engine, remembering what each `ask` received (question, history, chat id)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.asked: list[dict[str, Any]] = []

    async def ask(self, question: str, **kwargs: Any) -> Any:
        self.asked.append({"question": question, **kwargs})
        return await super().ask(question, **kwargs)
