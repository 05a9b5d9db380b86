"""Allowlists, checked before any other handler: a refused update never reaches the engine.

Rules: admins are always allowed. In a group listed in the allowed chats everyone may ask;
otherwise the user must be in the allowed users (an empty list means everyone), and a group
must be allowed when the allowed-chats list is not empty.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.config import Settings
from bot.telegram.addressing import addressed_to_bot, is_private
from bot.telegram.services import services

log = logging.getLogger(__name__)

REFUSAL = (
    "Sorry, this bot is private and you are not on its list of users. "
    "Ask its owner if you need access."
)


def is_admin(settings: Settings, user_id: int | None) -> bool:
    return user_id is not None and user_id in settings.telegram.admin_users


def is_allowed(settings: Settings, user_id: int | None, chat_id: int, private: bool) -> bool:
    if is_admin(settings, user_id):
        return True
    if not private and chat_id in settings.telegram.allowed_chats:
        return True
    if not private and settings.telegram.allowed_chats:
        return False
    users = settings.telegram.allowed_users
    return not users or (user_id is not None and user_id in users)


async def check_access(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop every update from a non-allowed user or chat; refuse once, politely, if addressed."""
    svc = services(context)
    message = update.effective_message
    user = update.effective_user
    chat = update.effective_chat
    if message is None or chat is None:
        raise ApplicationHandlerStop
    user_id = user.id if user else None
    if is_allowed(svc.settings, user_id, chat.id, is_private(message)):
        return
    log.info("refused update from user %s in chat %s", user_id, chat.id)
    if (
        user_id is not None
        and user_id not in svc.refused_users
        and addressed_to_bot(message, context.bot)
    ):
        svc.refused_users.add(user_id)
        await message.reply_text(REFUSAL, do_quote=not is_private(message))
    raise ApplicationHandlerStop
