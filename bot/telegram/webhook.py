"""The webhook's HTTP server: Telegram's updates plus the routes an operator needs.

PTB's built-in webhook server serves the update path only, so briefbot runs its own small
tornado server (tornado comes with python-telegram-bot[webhooks]) next to an Application built
without an Updater, as in PTB's custom-webhook example:

- `POST /<path of the webhook URL>`: an update; the `X-Telegram-Bot-Api-Secret-Token` header
  must match, else 403. The update goes to `application.update_queue`.
- `GET /healthz`: 200 when the database answers, else 503 (for load balancers).
- `GET /metrics`: the Prometheus text format.

Any number of instances can sit behind one URL: the secret is the configured one or is
derived from the bot token, so every instance accepts what Telegram signs for any of them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable

import tornado.httpserver
import tornado.netutil
import tornado.routing
import tornado.web
from telegram import Update
from telegram.ext import Application

from bot.config import Settings
from bot.metrics import CONTENT_TYPE, Metrics
from bot.ops.doctor import OWN_ROUTES

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
Health = Callable[[], Awaitable[bool]]


def webhook_secret(settings: Settings, token: str) -> str:
    """The configured secret, else one derived from the token (the same on every instance;
    Telegram allows 1-256 characters of A-Z, a-z, 0-9, _ and -)."""
    if settings.telegram.webhook_secret is not None:
        return settings.telegram.webhook_secret.get_secret_value()
    return hashlib.sha256(b"briefbot-webhook-secret:" + token.encode()).hexdigest()


class _UpdateHandler(tornado.web.RequestHandler):
    def initialize(self, app: Application, secret: str) -> None:
        self.app = app
        self.secret = secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("webhook request without the right secret token refused")
            raise tornado.web.HTTPError(403)
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, self.app.bot)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("webhook request with an unreadable update refused: %s", exc)
            raise tornado.web.HTTPError(400) from exc
        await self.app.update_queue.put(update)
        self.set_status(200)


class _HealthHandler(tornado.web.RequestHandler):
    def initialize(self, health: Health) -> None:
        self.health = health

    async def get(self) -> None:
        ok = await self.health()
        self.set_status(200 if ok else 503)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish("ok\n" if ok else "database unavailable\n")


class _MetricsHandler(tornado.web.RequestHandler):
    def initialize(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def get(self) -> None:
        self.set_header("Content-Type", CONTENT_TYPE)
        self.finish(self.metrics.exposition())


class WebhookServer:
    def __init__(
        self,
        app: Application,
        *,
        path: str,
        secret: str,
        health: Health,
        metrics: Metrics,
    ) -> None:
        route = "/" + path.strip("/")
        if route in OWN_ROUTES:
            raise ValueError(f"the webhook URL path {route} is taken by briefbot's own routes")
        self.web = tornado.web.Application(
            [
                (r"/healthz", _HealthHandler, {"health": health}),
                (r"/metrics", _MetricsHandler, {"metrics": metrics}),
                (
                    tornado.routing.PathMatches(route),
                    _UpdateHandler,
                    {"app": app, "secret": secret},
                ),
            ],
            log_function=lambda _handler: None,
        )
        self.http: tornado.httpserver.HTTPServer | None = None
        self.port = 0

    def start(self, listen: str, port: int) -> int:
        """Listen (port 0: any free port); returns the port."""
        self.http = tornado.httpserver.HTTPServer(self.web, xheaders=True)
        sockets = tornado.netutil.bind_sockets(port, address=listen)
        self.http.add_sockets(sockets)
        self.port = int(sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        if self.http is not None:
            self.http.stop()
            await self.http.close_all_connections()
            self.http = None
