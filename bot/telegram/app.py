"""The one function that builds the PTB Application from the services."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from telegram import LinkPreviewOptions, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.errors import BriefbotError
from bot.telegram import (
    briefing_handlers,
    commands,
    feed_handlers,
    insight_handlers,
    link_offer,
    questions,
)
from bot.telegram.access import check_access
from bot.telegram.briefing_jobs import start_briefings
from bot.telegram.errors import on_error
from bot.telegram.feed_jobs import start_feed_polling
from bot.telegram.flood import FloodLimiter
from bot.telegram.services import Services, services

DEFAULT_API_URL = "https://api.telegram.org/bot"
CONCURRENT_UPDATES = 64


def api_base_urls(api_url: str | None) -> tuple[str, str]:
    """Bot API and file base URLs; a bare server URL gets Telegram's `/bot` path appended."""
    base = (api_url or DEFAULT_API_URL).rstrip("/")
    if "{token}" in base:
        return base, base.replace("/bot{token}", "/file/bot{token}")
    if not base.endswith("/bot"):
        base += "/bot"
    return base, base[: -len("/bot")] + "/file/bot"


async def _expire_conversations(context: ContextTypes.DEFAULT_TYPE) -> None:
    services(context).conversations.expire()


async def _count_update(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    services(context).engine.metrics.updates.inc()


async def _heartbeat(context: ContextTypes.DEFAULT_TYPE) -> None:
    heartbeat = services(context).heartbeat
    if heartbeat is not None:
        await asyncio.to_thread(heartbeat.beat)


def build_application(
    svc: Services, token: str | None = None, *, webhook: bool = False
) -> Application:
    """PTB Application with rate limiter, job queue, handlers, briefing, feed-polling and
    heartbeat jobs and the error handler. `webhook`: no Updater; updates arrive from
    briefbot's own HTTP server (`bot.telegram.webhook`)."""
    settings = svc.settings
    if token is None:
        if settings.telegram.token is None:
            raise BriefbotError(
                "no Telegram bot token: set TELEGRAM_BOT_TOKEN (or BRIEFBOT_TELEGRAM_TOKEN)"
            )
        token = settings.telegram.token.get_secret_value()
    base_url, file_url = api_base_urls(settings.telegram.api_url)
    builder = Application.builder()
    if webhook:
        builder = builder.updater(None)
    app = (
        builder.token(token)
        .base_url(base_url)
        .base_file_url(file_url)
        .rate_limiter(
            FloodLimiter(
                settings.telegram.messages_per_second,
                settings.telegram.group_messages_per_minute,
                settings.telegram.max_retries,
            )
        )
        .defaults(
            Defaults(
                allow_sending_without_reply=True,
                link_preview_options=LinkPreviewOptions(
                    is_disabled=not settings.telegram.link_previews
                ),
            )
        )
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(commands.register_commands)
        .build()
    )
    app.bot_data["services"] = svc
    app.add_handler(TypeHandler(Update, _count_update), group=-2)
    app.add_handler(TypeHandler(Update, check_access), group=-1)
    app.add_handler(CommandHandler("start", commands.on_start))
    app.add_handler(CommandHandler("help", commands.on_help))
    app.add_handler(CommandHandler("ask", questions.on_ask))
    app.add_handler(CommandHandler("reset", commands.on_reset))
    app.add_handler(CommandHandler("sources", commands.on_sources))
    app.add_handler(CommandHandler("stats", commands.on_stats))
    app.add_handler(CommandHandler("brief", briefing_handlers.on_brief))
    app.add_handler(CommandHandler("subscribe", briefing_handlers.on_subscribe))
    app.add_handler(CommandHandler("unsubscribe", briefing_handlers.on_unsubscribe))
    app.add_handler(CommandHandler("subscriptions", briefing_handlers.on_subscriptions))
    app.add_handler(CommandHandler("pause", briefing_handlers.on_pause))
    app.add_handler(CommandHandler("resume", briefing_handlers.on_resume))
    app.add_handler(CommandHandler("timeline", insight_handlers.on_timeline))
    app.add_handler(CommandHandler("trend", insight_handlers.on_trend))
    app.add_handler(CommandHandler("addfeed", feed_handlers.on_addfeed))
    app.add_handler(CommandHandler("feeds", feed_handlers.on_feeds))
    app.add_handler(CommandHandler("removefeed", feed_handlers.on_removefeed))
    app.add_handler(CommandHandler("resumefeed", feed_handlers.on_resumefeed))
    app.add_handler(CommandHandler("add", feed_handlers.on_add))
    app.add_handler(CommandHandler("remove", feed_handlers.on_remove))
    app.add_handler(
        CallbackQueryHandler(link_offer.on_add_link, pattern=link_offer.CALLBACK_PATTERN)
    )
    text = filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE
    forwarded = filters.FORWARDED & (filters.TEXT | filters.CAPTION) & ~filters.COMMAND
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & forwarded & filters.UpdateType.MESSAGE,
            link_offer.on_forwarded,
        )
    )
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & text, questions.on_private_text))
    app.add_handler(MessageHandler(filters.ChatType.GROUPS & text, questions.on_group_text))
    app.add_error_handler(on_error)
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            _expire_conversations, interval=timedelta(hours=1), first=timedelta(minutes=1)
        )
        if svc.heartbeat is not None:
            app.job_queue.run_repeating(
                _heartbeat, interval=settings.ops.heartbeat_seconds, first=1, name="heartbeat"
            )
    svc.courier.bind(app.bot)
    start_briefings(app.job_queue, settings)
    start_feed_polling(app.job_queue, settings)
    return app
