"""`briefbot run`: start the Telegram bot (long polling, or a webhook when a URL is set)."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.cli.common import settings_from
from bot.engine import Engine
from bot.errors import BriefbotError

log = logging.getLogger("briefbot.run")


class RedactSecrets(logging.Filter):
    """Replace secrets in every log record (httpx logs request URLs, which hold the token)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(s in message for s in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "<redacted>")
            record.msg, record.args = message, None
        return True


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "run",
        parents=[parent],
        help="run the Telegram bot",
        description="Run the Telegram bot with TELEGRAM_BOT_TOKEN (or BRIEFBOT_TELEGRAM_TOKEN). "
        "Long polling by default; a webhook when --webhook-url / "
        "BRIEFBOT_TELEGRAM_WEBHOOK_URL is set.",
    )
    p.add_argument("--webhook-url", help="public HTTPS URL Telegram should post updates to")
    p.add_argument("--port", type=int, default=None, help="local webhook port")
    p.set_defaults(func=run)


def _install_redaction(secrets: list[str]) -> None:
    redact = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if not logging.getLogger().isEnabledFor(logging.INFO):
        logging.getLogger("briefbot").setLevel(logging.INFO)


def run(args: argparse.Namespace) -> int:
    from bot.telegram.app import build_application
    from bot.telegram.runner import run_polling, run_webhook
    from bot.telegram.services import Services

    settings = settings_from(args)
    if settings.telegram.token is None or not settings.telegram.token.get_secret_value().strip():
        raise BriefbotError(
            "no Telegram bot token: set TELEGRAM_BOT_TOKEN (or BRIEFBOT_TELEGRAM_TOKEN) "
            "to the token @BotFather gave you"
        )
    if args.webhook_url:
        settings.telegram.webhook_url = args.webhook_url
    if args.port:
        settings.telegram.webhook_port = args.port
    _install_redaction(settings.secret_values())
    engine = Engine(settings)
    try:
        engine.ensure_corpus(notify=lambda msg: print(msg, file=sys.stderr))
        app = build_application(Services.create(engine, settings))
        mode = "webhook" if settings.telegram.webhook_url else "long polling"
        print(f"briefbot: running the Telegram bot ({mode}); Ctrl+C stops it", file=sys.stderr)
        if settings.telegram.webhook_url:
            run_webhook(app, settings)
        else:
            run_polling(app, settings)
    finally:
        engine.close()
    return 0
