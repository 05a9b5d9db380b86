"""Pytest fixtures and helpers that run the real bot against the Bot API emulator.

Use from a test module (or a conftest) with:

    from tests.support.telegram_bot import botapi, run_bot  # noqa: F401  (fixture)
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.config import Settings
from bot.engine import Engine
from bot.telegram.app import build_application
from bot.telegram.runner import polling
from bot.telegram.services import Services
from tests.support.botapi import BotApiEmulator
from tests.support.corpus import ingest_news


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
    return settings.updated(**values)


class EmulatedClock:
    """Wall-clock time that runs at real speed from `start`: schedules fire in seconds."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.origin = time.monotonic()

    def __call__(self) -> datetime:
        return self.at(time.monotonic())

    def at(self, monotonic: float) -> datetime:
        """The emulated time of a `time.monotonic()` reading (e.g. `ApiCall.at`)."""
        return self.start + timedelta(seconds=monotonic - self.origin)

    async def sleep_until(self, when: datetime) -> None:
        await asyncio.sleep(max((when - self()).total_seconds(), 0.0))


@contextlib.asynccontextmanager
async def run_bot(
    engine: Engine,
    settings: Settings,
    api: BotApiEmulator,
    *,
    clock: Callable[[], datetime] | None = None,
) -> AsyncIterator[Services]:
    """Build the real Application over `engine` and long-poll the emulator until exit."""
    services = Services.create(engine, settings, **({"clock": clock} if clock else {}))
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


@pytest.fixture
def news(settings: Settings) -> Iterator[RecordingEngine]:
    """A RecordingEngine over the small news corpus of tests/support/corpus.py (no seeds)."""
    engine = RecordingEngine(settings.updated(auto_seed=False))
    ingest_news(engine)
    yield engine
    engine.close()
