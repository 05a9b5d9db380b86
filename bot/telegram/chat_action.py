"""The "typing…" indicator: sent at once, then refreshed by the job queue until done."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from telegram import Message
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import ContextTypes


async def _refresh(context: ContextTypes.DEFAULT_TYPE) -> None:
    job = context.job
    assert job is not None and isinstance(job.data, Message)
    with contextlib.suppress(TelegramError):
        await job.data.reply_chat_action(ChatAction.TYPING)


@contextlib.asynccontextmanager
async def typing(
    context: ContextTypes.DEFAULT_TYPE, message: Message, interval: float
) -> AsyncIterator[None]:
    """Show "typing" in the message's chat (and forum topic) while the block runs."""
    with contextlib.suppress(TelegramError):
        await message.reply_chat_action(ChatAction.TYPING)
    job = None
    if context.job_queue is not None:
        job = context.job_queue.run_repeating(
            _refresh, interval=interval, first=interval, data=message
        )
    try:
        yield
    finally:
        if job is not None:
            job.schedule_removal()
