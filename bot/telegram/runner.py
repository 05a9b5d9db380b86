"""Running the Application: long polling, a webhook, or embedded in a running event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from urllib.parse import urlparse

from telegram import Update
from telegram.error import NetworkError
from telegram.ext import Application

from bot.config import Settings
from bot.metrics import Metrics
from bot.telegram.webhook import Health, WebhookServer, webhook_secret

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


def run_polling(app: Application, settings: Settings) -> None:
    """Long polling until interrupted (the default)."""
    app.run_polling(
        timeout=settings.telegram.poll_timeout,
        allowed_updates=ALLOWED_UPDATES,
        drop_pending_updates=False,
        bootstrap_retries=3,
    )


def run_webhook(app: Application, settings: Settings, *, health: Health, metrics: Metrics) -> None:
    """Serve the webhook, /healthz and /metrics until SIGINT or SIGTERM."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        async with webhook(app, settings, health=health, metrics=metrics) as server:
            log.info("webhook server on %s:%s", settings.telegram.webhook_listen, server.port)
            await stop.wait()

    asyncio.run(main())


async def _set_webhook(app: Application, url: str, secret: str, attempts: int = 3) -> None:
    for attempt in range(1, attempts + 1):
        try:
            await app.bot.set_webhook(url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
            return
        except NetworkError:
            if attempt == attempts:
                raise
            await asyncio.sleep(attempt)


@contextlib.asynccontextmanager
async def webhook(
    app: Application,
    settings: Settings,
    *,
    health: Health,
    metrics: Metrics,
    port: int | None = None,
) -> AsyncIterator[WebhookServer]:
    """Run an Application built with `webhook=True` behind briefbot's own HTTP server.

    setWebhook is called with the same URL and secret by every instance, so starting a second
    instance behind the same URL changes nothing for the first.
    """
    url = settings.telegram.webhook_url
    assert url is not None
    secret = webhook_secret(settings, app.bot.token)
    server = WebhookServer(
        app, path=urlparse(url).path, secret=secret, health=health, metrics=metrics
    )
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        await _set_webhook(app, url, secret)
        await app.start()
        try:
            server.start(
                settings.telegram.webhook_listen,
                settings.telegram.webhook_port if port is None else port,
            )
            yield server
        finally:
            await server.stop()
            await app.stop()
    finally:
        await app.shutdown()


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
