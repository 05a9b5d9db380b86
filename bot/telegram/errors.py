"""The global error handler: log with context (never secrets), apologise, tell the admins."""

from __future__ import annotations

import html
import logging
import traceback

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import Conflict, TelegramError
from telegram.ext import ContextTypes

from bot.telegram.services import services

log = logging.getLogger(__name__)

APOLOGY = "Sorry — something went wrong while answering. Please try again in a moment."


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    return text


CONFLICT_HINT = (
    "Telegram answered 409 Conflict: another process is receiving this bot's updates. Long"
    " polling serves one instance only; to run several, give each the same --webhook-url"
    " behind one reverse proxy (and one BRIEFBOT_DATABASE_URL)."
)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    if isinstance(context.error, Conflict):
        if not context.bot_data.get("conflict_reported"):
            context.bot_data["conflict_reported"] = True
            log.error(CONFLICT_HINT)
        return
    svc = services(context)
    settings = svc.settings
    secrets = [context.bot.token, *settings.secret_values()]
    where = "no update"
    if isinstance(update, Update):
        chat = update.effective_chat
        user = update.effective_user
        where = (
            f"update {update.update_id} chat {chat.id if chat else '-'} "
            f"user {user.id if user else '-'}"
        )
    error = context.error
    trace = "".join(traceback.format_exception(error)) if error else "unknown error"
    log.error("error handling %s: %s", where, _redact(trace, secrets))
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await update.effective_message.reply_text(APOLOGY)
        except TelegramError:
            log.warning("could not send the apology for %s", where)
    if settings.telegram.admin_log_chat is not None:
        body = html.escape(_redact(trace, secrets)[-3500:])
        try:
            await context.bot.send_message(
                settings.telegram.admin_log_chat,
                f"<b>Error</b> ({html.escape(where)})\n<pre>{body}</pre>",
                parse_mode=ParseMode.HTML,
            )
        except TelegramError:
            log.warning("could not send the error report to the admin log chat")
