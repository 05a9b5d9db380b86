"""/addfeed, /feeds, /removefeed, /resumefeed, /add, /remove — the bot admins' corpus commands.

Thin over the engine's feed service. Only `telegram_admin_users` may use them (anywhere);
everyone else gets a clear refusal. Feed names, URLs, titles and error texts come from
users or the network: every one is HTML-escaped.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Message, MessageEntity, Update
from telegram.ext import ContextTypes

from bot.errors import BriefbotError
from bot.feeds.summary import describe
from bot.models import Feed, UrlIngestResult
from bot.telegram.access import is_admin
from bot.telegram.addressing import is_private
from bot.telegram.chat_action import typing
from bot.telegram.delivery import send_html
from bot.telegram.feed_jobs import poll_new_feed
from bot.telegram.render import escape, split_html
from bot.telegram.services import services

log = logging.getLogger(__name__)

ADMINS_ONLY = "Only the bot's admins can manage feeds and add articles."
ADDFEED_USAGE = "Usage: /addfeed URL [name] — for example /addfeed https://example.com/rss.xml"
REMOVEFEED_USAGE = "Usage: /removefeed ID|URL (see /feeds)"
RESUMEFEED_USAGE = "Usage: /resumefeed ID|URL (see /feeds)"
ADD_USAGE = "Usage: /add URL — fetch one article page and add it to the corpus"
REMOVE_USAGE = (
    "Usage: /remove ID|URL… — remove articles from the corpus (IDs as `briefbot sources` "
    "shows them); or reply to one of my answers with /remove N to remove its source [N]"
)


async def _reply(message: Message, html: str) -> None:
    for part in split_html(html):
        await send_html(message, part, quote=not is_private(message))


async def _admin_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Message | None:
    """The command's message when its sender is a bot admin; otherwise refuse and None."""
    message, user = update.effective_message, update.effective_user
    if message is None:
        return None
    if user is None or not is_admin(services(context).settings, user.id):
        await _reply(message, escape(ADMINS_ONLY))
        return None
    return message


def feed_html(feed: Feed) -> str:
    """One feed: bold id and name, then its URL, schedule, state and last error."""
    first, *rest = describe(feed).splitlines()
    lines = [f"<b>{escape(first)}</b>", *(escape(line.strip()) for line in rest)]
    return "\n".join(lines)


def ingest_result_html(result: UrlIngestResult) -> str:
    """What `/add` (or the "Add to corpus" button) did, in one line."""
    title = f"<b>{escape(result.title)}</b>"
    if result.status == "added":
        return f"Added: {title}"
    if result.status == "duplicate":
        return f"Already in the corpus: {title}"
    if result.status == "near_duplicate":
        return f"A copy of a stored article; recorded as another outlet for it: {title}"
    return f"Not stored ({escape(result.reason or 'no reason given')}): {title}"


async def add_url_html(context: ContextTypes.DEFAULT_TYPE, url: str) -> str:
    """Fetch and store one page; the outcome or the readable error, as HTML."""
    try:
        result = await services(context).engine.ingest_url(url)
    except BriefbotError as exc:
        return f"Couldn't add {escape(url)}: {escape(str(exc))}"
    return ingest_result_html(result)


async def on_addfeed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/addfeed URL [name]: subscribe, then poll it once right away and report."""
    message = await _admin_message(update, context)
    if message is None:
        return
    args = context.args or []
    if not args:
        await _reply(message, escape(ADDFEED_USAGE))
        return
    try:
        feed = services(context).engine.add_feed(args[0], name=" ".join(args[1:]) or None)
    except BriefbotError as exc:
        await _reply(message, f"{escape(str(exc))}\n\n{escape(ADDFEED_USAGE)}")
        return
    await _reply(
        message,
        f"Added feed <b>[{feed.id}] {escape(feed.label)}</b>, polled every "
        f"{feed.interval_minutes} min. Polling it now…",
    )
    poll_new_feed(context.job_queue, feed.id, message)


async def on_feeds(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/feeds: every feed with its state; paused ones with their last error."""
    message = await _admin_message(update, context)
    if message is None:
        return
    feeds = services(context).engine.list_feeds()
    if not feeds:
        await _reply(message, "No feeds yet. Add one with /addfeed URL [name].")
        return
    text = "<b>Feeds</b>\n\n" + "\n\n".join(feed_html(f) for f in feeds)
    if any(f.paused for f in feeds):
        text += "\n\nResume a paused feed with /resumefeed ID."
    await _reply(message, text)


async def on_removefeed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/removefeed ID|URL: stop polling; the feed's articles stay in the corpus."""
    message = await _admin_message(update, context)
    if message is None:
        return
    if len(context.args or []) != 1:
        await _reply(message, escape(REMOVEFEED_USAGE))
        return
    try:
        feed = services(context).engine.remove_feed((context.args or [""])[0])
    except BriefbotError as exc:
        await _reply(message, f"{escape(str(exc))}\n\n{escape(REMOVEFEED_USAGE)}")
        return
    await _reply(
        message,
        f"Removed feed <b>[{feed.id}] {escape(feed.label)}</b>. Its articles stay in the corpus.",
    )


async def on_resumefeed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/resumefeed ID|URL: un-pause a feed; it is polled at the next tick."""
    message = await _admin_message(update, context)
    if message is None:
        return
    if len(context.args or []) != 1:
        await _reply(message, escape(RESUMEFEED_USAGE))
        return
    try:
        feed = services(context).engine.resume_feed((context.args or [""])[0])
    except BriefbotError as exc:
        await _reply(message, f"{escape(str(exc))}\n\n{escape(RESUMEFEED_USAGE)}")
        return
    await _reply(message, f"Resumed feed <b>[{feed.id}] {escape(feed.label)}</b>.")


async def on_add(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/add URL: fetch one article page safely and store it; reply with its title."""
    message = await _admin_message(update, context)
    if message is None:
        return
    if len(context.args or []) != 1:
        await _reply(message, escape(ADD_USAGE))
        return
    svc = services(context)
    async with typing(context, message, svc.settings.telegram.typing_interval):
        html = await add_url_html(context, (context.args or [""])[0])
    await _reply(message, html)


def cited_source_url(answer: Message, n: int) -> str | None:
    """The link of source line `[n]` in one of the bot's answers (see `render.source_line`)."""
    text = answer.text or ""
    units = text.encode("utf-16-le")
    for entity in answer.entities:
        if entity.type != MessageEntity.TEXT_LINK or not entity.url:
            continue
        before = units[: entity.offset * 2].decode("utf-16-le", errors="ignore")
        if before.rsplit("\n", 1)[-1] == f"[{n}] ":
            return entity.url
    return None


async def on_remove(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/remove ID|URL…, or /remove N in reply to an answer: take articles out of the corpus
    with their passages, vectors, alternates and near-duplicate rows."""
    message = await _admin_message(update, context)
    if message is None:
        return
    args = context.args or []
    if not args:
        await _reply(message, escape(REMOVE_USAGE))
        return
    replied = message.reply_to_message
    answer = replied if replied and replied.from_user and replied.from_user.is_bot else None
    refs: list[str] = []
    for arg in args:
        url = cited_source_url(answer, int(arg)) if answer and arg.isdigit() else None
        if answer and arg.isdigit() and url is None:
            await _reply(message, f"That answer has no linked source [{escape(arg)}].")
            return
        refs.append(url or arg)
    results = await asyncio.to_thread(services(context).engine.remove_articles, refs)
    lines = [
        f"Removed: <b>{escape(r.title or '')}</b> (article {r.article_id})"
        if r.removed
        else f"Not in the corpus: {escape(r.ref)}"
        for r in results
    ]
    await _reply(message, "\n".join(lines))
