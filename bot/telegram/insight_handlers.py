"""/timeline <topic> and /trend <topic[, topic…]> — thin over the engine's insight operations."""

from __future__ import annotations

import asyncio

from telegram import InputFile, Message, Update
from telegram.ext import ContextTypes

from bot.errors import BriefbotError
from bot.insight.render import render_html
from bot.insight.topic import trend_topics
from bot.telegram.access import is_admin
from bot.telegram.addressing import is_private
from bot.telegram.chat_action import typing
from bot.telegram.delivery import send_html
from bot.telegram.render import escape
from bot.telegram.services import Services, services
from bot.text.markup import clip_units

TIMELINE_USAGE = "Usage: /timeline <topic> — for example /timeline Gaza hospital explosion"
TREND_USAGE = "Usage: /trend <topic>[, <topic>…] — for example /trend gaza, ukraine"
CAPTION_LIMIT = 1024


async def _reply(message: Message, html: str) -> None:
    await send_html(message, html, quote=not is_private(message))


async def _admitted(svc: Services, message: Message, user_id: int) -> bool:
    """The question rate limit covers these too: each reads the corpus for seconds."""
    refusal = svc.gate.admit(user_id, exempt=is_admin(svc.settings, user_id))
    if refusal is not None:
        await _reply(message, escape(refusal))
        return False
    return True


async def on_timeline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/timeline <topic>: the topic's developments over the last 14 days, oldest first."""
    svc = services(context)
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    topic = " ".join(" ".join(context.args or []).split())
    if not topic:
        await _reply(message, escape(TIMELINE_USAGE))
        return
    if not await _admitted(svc, message, user.id):
        return
    try:
        async with typing(context, message, svc.settings.telegram.typing_interval):
            try:
                timeline = await svc.engine.timeline(topic)
            except BriefbotError as exc:
                await _reply(message, escape(str(exc)))
                return
            for part in render_html(timeline):
                await _reply(message, part)
    finally:
        svc.gate.end(user.id)


async def on_trend(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/trend <topic>[, <topic>…]: a chart of articles per day, sent as a photo."""
    svc = services(context)
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    topics = trend_topics(" ".join(context.args or []))
    if not topics:
        await _reply(message, escape(TREND_USAGE))
        return
    if not await _admitted(svc, message, user.id):
        return
    engine = svc.engine
    try:
        async with typing(context, message, svc.settings.telegram.typing_interval):
            try:
                trend = await asyncio.to_thread(engine.trend, topics)
            except BriefbotError as exc:
                await _reply(message, escape(str(exc)))
                return
            if not any(t.total for t in trend.topics):
                await _reply(message, escape(trend.caption))
                return
            png = await asyncio.to_thread(engine.trend_chart, trend)
            await message.reply_photo(
                InputFile(png, filename="trend.png"),
                caption=clip_units(trend.caption, CAPTION_LIMIT),
                do_quote=not is_private(message),
            )
    finally:
        svc.gate.end(user.id)
