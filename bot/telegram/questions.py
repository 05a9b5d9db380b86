"""Questions: private messages, group mentions and replies, and /ask — one flow for all."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.telegram.access import is_admin
from bot.telegram.addressing import addressed_to_bot, is_private, question_text, replies_to_bot
from bot.telegram.chat_action import typing
from bot.telegram.delivery import Responder
from bot.telegram.services import Services, services

log = logging.getLogger(__name__)

EMPTY = "Ask me a question about the news, e.g. /ask What happened at Ain al-Asad?"


def _conversation_for(svc: Services, message: Message, bot_id: int) -> int | None:
    """The reply chain's conversation, else the private chat's recent one; groups start anew."""
    replied = message.reply_to_message
    if replied and replied.from_user and replied.from_user.id == bot_id:
        found = svc.conversations.for_message(message.chat_id, replied.message_id)
        if found is not None:
            return found
    if is_private(message):
        return svc.conversations.latest(message.chat_id)
    return None


async def answer_question(
    update: Update, context: ContextTypes.DEFAULT_TYPE, question: str
) -> None:
    """Rate-limit, show typing, ask the engine with the conversation, deliver, remember."""
    svc = services(context)
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    private = is_private(message)
    if not question:
        await message.reply_text(EMPTY, do_quote=not private)
        return
    refusal = svc.gate.admit(user.id, exempt=is_admin(svc.settings, user.id))
    if refusal is not None:
        await message.reply_text(refusal, do_quote=not private)
        return
    try:
        settings = svc.settings
        conversation_id = _conversation_for(svc, message, context.bot.id)
        history = svc.conversations.history(conversation_id)
        interval = (
            settings.telegram.edit_interval_private
            if private
            else settings.telegram.edit_interval_group
        )
        responder = Responder(message, quote=not private, edit_interval=interval)
        async with typing(context, message, settings.telegram.typing_interval):
            answer = await svc.engine.ask(
                question,
                history=history,
                chat_id=str(message.chat_id),
                on_delta=responder.on_delta,
                language=user.language_code,
            )
            message_ids = await responder.finish(answer)
        svc.conversations.add_turn(
            conversation_id,
            chat_id=message.chat_id,
            user_id=user.id,
            thread_id=message.message_thread_id if message.is_topic_message else None,
            question=question,
            answer=answer.answer,
            message_ids=message_ids,
        )
    finally:
        svc.gate.end(user.id)


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a private chat every text message is a question."""
    message = update.effective_message
    if message is not None:
        await answer_question(update, context, question_text(message, context.bot))


async def on_group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In groups only a mention or a reply to the bot is a question; the rest is chatter."""
    message = update.effective_message
    if message is None or not addressed_to_bot(message, context.bot):
        return
    await answer_question(update, context, question_text(message, context.bot))


async def on_ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask <question> (a reply to the bot's message makes it a follow-up)."""
    message = update.effective_message
    if message is None:
        return
    question = " ".join(context.args or [])
    if not question and message.reply_to_message and not replies_to_bot(message, context.bot):
        question = message.reply_to_message.text or ""
    await answer_question(update, context, " ".join(question.split()))
