"""Flood limits: the bot's rate limiter keeps every 1-second window under the limit."""

from __future__ import annotations

import asyncio
import time

from bot.config import Settings
from bot.engine import Engine
from bot.telegram.app import build_application
from bot.telegram.flood import SlidingWindows
from bot.telegram.services import Services
from tests.support.botapi import BotApiEmulator


def _busiest(times: list[float], window: float) -> int:
    times.sort()
    return max(sum(1 for u in times if t <= u < t + window) for t in times)


async def test_burst_to_many_chats_stays_under_the_overall_limit(
    engine: Engine, settings: Settings, botapi: BotApiEmulator
) -> None:
    config = settings.updated(telegram_api_url=botapi.url, telegram_messages_per_second=6)
    chats = [4000 + i for i in range(14)]
    for chat in chats:
        botapi.chat(chat)
    app = build_application(Services.create(engine, config), token=botapi.token)
    async with app:
        await asyncio.gather(*(app.bot.send_message(c, f"briefing for {c}") for c in chats))
    sent = botapi.sent_messages()
    assert sorted(c.chat_id or 0 for c in sent) == chats
    assert _busiest([c.at for c in sent], 1.0) <= 6


async def test_group_window_holds_back_only_that_group() -> None:
    windows = SlidingWindows(per_second=100, per_group_minute=3, group_period=0.4)
    sent: dict[int, list[float]] = {-1: [], 7: []}

    async def send(chat: int) -> None:
        await windows.admit(chat)
        sent[chat].append(time.monotonic())
        await asyncio.sleep(0.01)  # the HTTP round trip
        windows.release(chat)

    started = time.monotonic()
    await asyncio.gather(*(send(-1) for _ in range(7)), *(send(7) for _ in range(5)))
    assert _busiest(sent[-1], 0.4) <= 3
    assert max(sent[7]) - started < 0.1, "private chats do not wait behind the group"
    assert max(sent[-1]) - started >= 0.8, "7 group messages need three windows"
