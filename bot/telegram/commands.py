"""/start, /help, /reset, /sources, /stats — and the command menus sent to Telegram."""

from __future__ import annotations

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import Application, ContextTypes

from bot.models import ArticleSummary
from bot.telegram.addressing import is_private
from bot.telegram.render import escape, split_html
from bot.telegram.services import services

PRIVATE_COMMANDS = [
    BotCommand("start", "what I am and what I know"),
    BotCommand("ask", "ask a question about the news"),
    BotCommand("reset", "forget the follow-up context"),
    BotCommand("sources", "the newest articles I know"),
    BotCommand("stats", "corpus size and date range"),
    BotCommand("help", "how to use me"),
]
GROUP_COMMANDS = [c for c in PRIVATE_COMMANDS if c.command != "start"]

HELP = (
    "<b>How to ask</b>\n"
    "• In a private chat, just send your question.\n"
    "• In a group, mention me, reply to one of my messages, or use /ask &lt;question&gt;.\n"
    "• Reply to my answer to ask a follow-up; /reset forgets the context.\n\n"
    "Every sentence of an answer cites its article as [n]; the sources are listed below it.\n"
    "/sources lists the newest articles, /stats shows what I know."
)


async def register_commands(app: Application) -> None:
    """setMyCommands for private chats and for groups."""
    await app.bot.set_my_commands(PRIVATE_COMMANDS, scope=BotCommandScopeAllPrivateChats())
    await app.bot.set_my_commands(GROUP_COMMANDS, scope=BotCommandScopeAllGroupChats())


def _date_range(context: ContextTypes.DEFAULT_TYPE) -> tuple[int, str]:
    stats = services(context).engine.stats()
    if stats.first_published and stats.last_published:
        span = (
            f"from {stats.first_published.date().isoformat()} "
            f"to {stats.last_published.date().isoformat()}"
        )
    else:
        span = "without publication dates"
    return stats.articles, span


async def _reply(update: Update, html: str) -> None:
    message = update.effective_message
    if message is None:
        return
    for part in split_html(html):
        await message.reply_text(part, parse_mode=ParseMode.HTML, do_quote=not is_private(message))


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    count, span = _date_range(context)
    await _reply(
        update,
        "Hi! I'm <b>briefbot</b>. I answer questions about the news with short summaries "
        "where every sentence cites its article.\n\n"
        f"I know {count:,} article(s) {span}.\n\n" + HELP,
    )


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(update, HELP)


async def on_reset(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None:
        return
    user_id = None if is_private(message) or user is None else user.id
    forgotten = services(context).conversations.reset(message.chat_id, user_id)
    note = "Done — I forgot our conversation." if forgotten else "There was nothing to forget."
    await _reply(update, note)


def _article_line(article: ArticleSummary) -> str:
    title = escape(article.title)
    if article.url:
        title = f'<a href="{escape(article.url)}">{title}</a>'
    parts = [title]
    if article.source:
        parts.append(escape(article.source))
    if article.published_at:
        parts.append(article.published_at.date().isoformat())
    return "• " + " · ".join(parts)


async def on_sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    articles = services(context).engine.sources(limit=10)
    if not articles:
        await _reply(update, "The corpus is empty.")
        return
    lines = "\n".join(_article_line(a) for a in articles)
    await _reply(update, f"<b>Newest articles</b>\n{lines}")


async def on_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    stats = services(context).engine.stats()
    _, span = _date_range(context)
    await _reply(
        update,
        f"<b>Corpus</b>\narticles: {stats.articles:,}\npassages: {stats.chunks:,}\n"
        f"sources: {stats.sources:,}\npublished {span}\n"
        f"database: {stats.db_bytes / 1e6:.1f} MB",
    )
