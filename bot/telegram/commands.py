"""/start, /help, /reset, /sources, /stats — and the command menus sent to Telegram."""

from __future__ import annotations

import asyncio
import logging

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.models import ArticleSummary, Stats
from bot.telegram.access import is_admin
from bot.telegram.addressing import is_private
from bot.telegram.render import escape, split_html
from bot.telegram.services import services
from bot.text.markup import link

PRIVATE_COMMANDS = [
    BotCommand("start", "what I am and what I know"),
    BotCommand("ask", "ask a question about the news"),
    BotCommand("reset", "forget the follow-up context"),
    BotCommand("sources", "the newest articles I know"),
    BotCommand("stats", "corpus size and date range"),
    BotCommand("brief", "today's top stories now [keywords…]"),
    BotCommand("timeline", "how a story developed <topic>"),
    BotCommand("trend", "articles per day, as a chart <topic>[, topic…]"),
    BotCommand("subscribe", "daily briefing [HH:MM] [timezone] [keywords…]"),
    BotCommand("subscriptions", "this chat's daily briefing"),
    BotCommand("pause", "pause the daily briefing"),
    BotCommand("resume", "resume the daily briefing"),
    BotCommand("unsubscribe", "stop the daily briefing"),
    BotCommand("help", "how to use me"),
]
GROUP_COMMANDS = [c for c in PRIVATE_COMMANDS if c.command != "start"]
# Shown only in each bot admin's private chat: everyone else would only get a refusal.
ADMIN_COMMANDS = [
    BotCommand("add", "admin: add one article by URL"),
    BotCommand("addfeed", "admin: subscribe to a feed URL [name]"),
    BotCommand("feeds", "admin: list feeds and their state"),
    BotCommand("removefeed", "admin: remove a feed ID|URL"),
    BotCommand("resumefeed", "admin: resume a paused feed ID|URL"),
    BotCommand("remove", "admin: remove articles ID|URL (reply: source N)"),
]

log = logging.getLogger(__name__)

HELP = (
    "<b>How to ask</b>\n"
    "• In a private chat, just send your question.\n"
    "• In a group, mention me, reply to one of my messages, or use /ask &lt;question&gt;.\n"
    "• Reply to my answer to ask a follow-up; /reset forgets the context.\n\n"
    "Every sentence of an answer cites its article as [n]; the sources are listed below it.\n"
    "/sources lists the newest articles, /stats shows what I know.\n\n"
    "<b>Briefings</b>\n"
    "• /brief [keywords…] — the top stories since this chat's last briefing.\n"
    "• /subscribe [HH:MM] [timezone] [keywords…] — a daily briefing, e.g. "
    "/subscribe 07:30 Europe/Berlin Iraq, Syria (default 08:00 in the chat's timezone).\n"
    "• /subscriptions, /pause, /resume, /unsubscribe — in groups, admins change it.\n\n"
    "<b>Following a story</b>\n"
    "• /timeline &lt;topic&gt; — its developments over the last two weeks, one cited line each.\n"
    "• /trend &lt;topic&gt;[, &lt;topic&gt;…] — a chart of articles per day and the top outlets."
)
ADMIN_HELP = (
    "<b>Corpus (bot admins)</b>\n"
    "• /add URL — fetch one article and add it.\n"
    "• /addfeed URL [name] — subscribe to an RSS/Atom feed (polled automatically).\n"
    "• /feeds — every feed with its state and last error; /removefeed ID|URL; "
    "/resumefeed ID|URL for a paused one.\n"
    "• /remove ID|URL — remove an article; reply to an answer with /remove N to remove its "
    "source [N].\n"
    "• Forward me a message with a link: I offer to add it."
)


# The longest wait between two attempts at the command menu.
MENU_RETRY_CAP = 3600.0


async def register_commands(app: Application) -> None:
    """The command menus at start-up (`post_init`). They are cosmetic: when Telegram (or a
    self-hosted Bot API server without setMyCommands) fails, the bot serves anyway and a
    JobQueue job tries again later, waiting twice as long after each failure."""
    settings = app.bot_data["services"].settings
    await _menu_attempt(app, settings.telegram.commands_retry_seconds)


async def _menu_attempt(app: Application, delay: float) -> None:
    try:
        await set_menus(app)
    except TelegramError as exc:
        log.warning("could not set the command menu (%s); trying again in %.0f s", exc, delay)
        if app.job_queue is not None:
            app.job_queue.run_once(
                _retry_menu, when=delay, data=min(delay * 2, MENU_RETRY_CAP), name="command-menu"
            )


async def _retry_menu(context: ContextTypes.DEFAULT_TYPE) -> None:
    delay = context.job.data if context.job is not None else None
    await _menu_attempt(context.application, delay if isinstance(delay, float) else MENU_RETRY_CAP)


async def set_menus(app: Application) -> None:
    """setMyCommands for private chats and groups, plus the admin commands in each bot
    admin's own private chat (Telegram refuses that scope until the admin has started
    the bot: logged, not fatal)."""
    await app.bot.set_my_commands(PRIVATE_COMMANDS, scope=BotCommandScopeAllPrivateChats())
    await app.bot.set_my_commands(GROUP_COMMANDS, scope=BotCommandScopeAllGroupChats())
    settings = app.bot_data["services"].settings
    for admin in settings.telegram.admin_users:
        try:
            await app.bot.set_my_commands(
                PRIVATE_COMMANDS + ADMIN_COMMANDS, scope=BotCommandScopeChat(admin)
            )
        except TelegramError as exc:
            log.info("no admin command menu for user %s yet: %s", admin, exc)


async def _stats(context: ContextTypes.DEFAULT_TYPE) -> Stats:
    """Corpus counts, off the event loop: they scan the articles table (~0.1 s at 250k)."""
    return await asyncio.to_thread(services(context).engine.stats)


def _date_span(stats: Stats) -> str:
    first, last = stats.first_published, stats.last_published
    if first is None or last is None:
        return "without publication dates"
    if first.date() == last.date():
        return f"from {first.date().isoformat()}"
    return f"from {first.date().isoformat()} to {last.date().isoformat()}"


async def _reply(update: Update, html: str) -> None:
    message = update.effective_message
    if message is None:
        return
    for part in split_html(html):
        await message.reply_text(part, parse_mode=ParseMode.HTML, do_quote=not is_private(message))


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    stats = await _stats(context)
    articles = f"{stats.articles:,} article" + ("" if stats.articles == 1 else "s")
    await _reply(
        update,
        "Hi! I'm <b>briefbot</b>. I answer questions about the news with short summaries "
        "where every sentence cites its article.\n\n"
        f"I know {articles} {_date_span(stats)}.\n\n" + _help(update, context),
    )


def _help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The help text; bot admins also read about their corpus commands."""
    user = update.effective_user
    if user is not None and is_admin(services(context).settings, user.id):
        return f"{HELP}\n\n{ADMIN_HELP}"
    return HELP


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(update, _help(update, context))


async def on_reset(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None:
        return
    user_id = None if is_private(message) or user is None else user.id
    forgotten = services(context).conversations.reset(message.chat_id, user_id)
    note = "Done — I forgot our conversation." if forgotten else "There was nothing to forget."
    await _reply(update, note)


def _article_line(article: ArticleSummary) -> str:
    parts = [link(article.url, escape(article.title))]
    if article.source:
        parts.append(escape(article.source))
    if article.published_at:
        parts.append(article.published_at.date().isoformat())
    return "• " + " · ".join(parts)


async def on_sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    articles = await asyncio.to_thread(services(context).engine.sources, limit=10)
    if not articles:
        await _reply(update, "The corpus is empty.")
        return
    lines = "\n".join(_article_line(a) for a in articles)
    await _reply(update, f"<b>Newest articles</b>\n{lines}")


async def on_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    stats = await _stats(context)
    await _reply(
        update,
        f"<b>Corpus</b>\narticles: {stats.articles:,}\npassages: {stats.chunks:,}\n"
        f"sources: {stats.sources:,}\npublished {_date_span(stats)}\n"
        f"database: {stats.db_bytes / 1e6:.1f} MB",
    )
