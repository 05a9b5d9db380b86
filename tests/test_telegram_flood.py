"""Flood limits: the bot's rate limiter keeps every 1-second window under the limit."""

from __future__ import annotations

import asyncio

from bot.config import Settings
from bot.engine import Engine
from bot.telegram.app import build_application
from bot.telegram.services import Services
from tests.support.botapi import BotApiEmulator


def _busiest(times: list[float], window: float) -> int:
    times.sort()
    return max(sum(1 for u in times if t <= u < t + window) for t in times)


async def test_burst_to_many_chats_stays_under_the_overall_limit(
    engine: Engine, settings: Settings, botapi: BotApiEmulator
) -> None:
    config = settings.model_copy(
        update={"telegram_api_url": botapi.url, "telegram_messages_per_second": 6}
    )
    chats = [4000 + i for i in range(14)]
    for chat in chats:
        botapi.chat(chat)
    app = build_application(Services.create(engine, config), token=botapi.token)
    async with app:
        await asyncio.gather(*(app.bot.send_message(c, f"briefing for {c}") for c in chats))
    sent = botapi.sent_messages()
    assert sorted(c.chat_id or 0 for c in sent) == chats
    assert _busiest([c.at for c in sent], 1.0) <= 6
