"""A link forwarded to the bot in a private chat: admins are offered to add it to the corpus.

The offer is a reply listing the link(s) with an inline "Add to corpus" button per link.
The button's callback data holds only the link's position; the URL is read back from the
offer's own text, so nothing is kept in memory and offers survive restarts. A press is
checked again (admins only), then the page is fetched and the outcome written into the offer.
Non-admins' forwarded messages stay questions, as before.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.feeds.links import find_urls
from bot.telegram import questions
from bot.telegram.access import is_admin
from bot.telegram.delivery import send_html
from bot.telegram.feed_handlers import ADMINS_ONLY, add_url_html
from bot.telegram.render import escape
from bot.telegram.services import services

log = logging.getLogger(__name__)

CALLBACK_PREFIX = "addlink:"
CALLBACK_PATTERN = r"^addlink:\d$"
MAX_LINKS = 5
MAX_URL_CHARS = 600  # keeps five links and their outcomes within one message
EXPIRED = "This offer can't be read any more; forward the link again."


def message_urls(message: Message) -> list[str]:
    """http(s) links of a message: hidden text links first, then those in its text/caption."""
    hidden = [
        entity.url
        for entity in (
            *message.parse_entities([MessageEntity.TEXT_LINK]),
            *message.parse_caption_entities([MessageEntity.TEXT_LINK]),
        )
        if entity.url
    ]
    found: list[str] = []
    for url in [*hidden, *find_urls(message.text or message.caption or "", limit=MAX_LINKS)]:
        web = url.lower().startswith(("http://", "https://"))
        if web and len(url) <= MAX_URL_CHARS and url not in found:
            found.append(url)
    return found[:MAX_LINKS]


def offer(urls: list[str]) -> tuple[str, InlineKeyboardMarkup]:
    """The offer's HTML (links listed in order) and its buttons."""
    if len(urls) == 1:
        text = f"Add this link to the corpus?\n{escape(urls[0])}"
        buttons = [InlineKeyboardButton("Add to corpus", callback_data=f"{CALLBACK_PREFIX}0")]
    else:
        lines = "\n".join(f"{i}. {escape(url)}" for i, url in enumerate(urls, 1))
        text = f"Add these links to the corpus?\n{lines}"
        buttons = [
            InlineKeyboardButton(f"Add {i}", callback_data=f"{CALLBACK_PREFIX}{i - 1}")
            for i in range(1, len(urls) + 1)
        ]
    return text, InlineKeyboardMarkup([buttons])


async def on_forwarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A forwarded message in a private chat: an offer for admins, else a question."""
    message, user = update.effective_message, update.effective_user
    if message is None:
        return
    urls = message_urls(message)
    if urls and user is not None and is_admin(services(context).settings, user.id):
        text, buttons = offer(urls)
        await message.reply_text(
            text, parse_mode=ParseMode.HTML, reply_markup=buttons, do_quote=True
        )
        return
    if message.text:
        await questions.on_private_text(update, context)


def _without(markup: InlineKeyboardMarkup | None, data: str) -> InlineKeyboardMarkup | None:
    """The offer's buttons minus the one pressed (None when none is left)."""
    rows = [
        [b for b in row if b.callback_data != data]
        for row in (markup.inline_keyboard if markup else ())
    ]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


async def on_add_link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The "Add to corpus" button: fetch the link and write the outcome into the offer."""
    query, user = update.callback_query, update.effective_user
    if query is None:
        return
    if user is None or not is_admin(services(context).settings, user.id):
        await query.answer(ADMINS_ONLY, show_alert=True)
        return
    message = query.message
    data = query.data or ""
    index = int(data.removeprefix(CALLBACK_PREFIX))
    urls = find_urls(message.text or "", limit=MAX_LINKS) if isinstance(message, Message) else []
    if not isinstance(message, Message) or index >= len(urls):
        await query.answer(EXPIRED, show_alert=True)
        return
    await query.answer("Fetching the page…")
    outcome = await add_url_html(context, urls[index])
    try:
        await message.edit_text(
            f"{escape(message.text or '')}\n\n{outcome}",
            parse_mode=ParseMode.HTML,
            reply_markup=_without(message.reply_markup, data),
        )
    except BadRequest as exc:  # e.g. the offer grew too long: answer separately
        log.info("could not edit the link offer (%s); replying instead", exc.message)
        await send_html(message, outcome, quote=True)
