"""Running the Application: long polling, a webhook, or embedded in a running event loop."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from urllib.parse import urlparse

from telegram import Update
from telegram.ext import Application

from bot.config import Settings

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


def run_polling(app: Application, settings: Settings) -> None:
    """Long polling until interrupted (the default)."""
    app.run_polling(
        timeout=settings.telegram.poll_timeout,
        allowed_updates=ALLOWED_UPDATES,
        drop_pending_updates=False,
        bootstrap_retries=3,
    )


def run_webhook(app: Application, settings: Settings) -> None:
    """Serve a webhook; Telegram's secret-token header is checked on every request."""
    url = settings.telegram.webhook_url
    assert url is not None
    secret = (
        settings.telegram.webhook_secret.get_secret_value()
        if settings.telegram.webhook_secret
        else secrets.token_urlsafe(32)
    )
    path = urlparse(url).path.strip("/")
    app.run_webhook(
        listen=settings.telegram.webhook_listen,
        port=settings.telegram.webhook_port,
        url_path=path,
        webhook_url=url,
        secret_token=secret,
        allowed_updates=ALLOWED_UPDATES,
        bootstrap_retries=3,
    )


@contextlib.asynccontextmanager
async def polling(app: Application, *, timeout: int = 1) -> AsyncIterator[Application]:
    """Run the bot inside an existing event loop (tests, benchmarks) until the block ends."""
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(timeout=timeout, allowed_updates=ALLOWED_UPDATES)
    await app.start()
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
