"""Running the Application: long polling, a webhook, or embedded in a running event loop."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
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


def webhook_secret(settings: Settings, token: str) -> str:
    """The secret Telegram must send with every update: the configured one, or one derived
    from the bot token, so that every instance behind the same URL expects the same."""
    if settings.telegram.webhook_secret:
        return settings.telegram.webhook_secret.get_secret_value()
    return hmac.new(token.encode(), b"briefbot webhook secret", hashlib.sha256).hexdigest()


def run_webhook(app: Application, settings: Settings) -> None:
    """Serve a webhook; Telegram's secret-token header is checked on every request."""
    url = settings.telegram.webhook_url
    assert url is not None
    secret = webhook_secret(settings, app.bot.token)
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
