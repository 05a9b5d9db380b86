"""`briefbot run`: start the Telegram bot (long polling, or a webhook when a URL is set)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.cli.common import settings_from
from bot.config import Settings
from bot.engine import Engine
from bot.errors import BriefbotError
from bot.ops.logs import RedactSecrets, configure_logging

__all__ = ["RedactSecrets", "register", "run"]

log = logging.getLogger("briefbot.run")


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "run",
        parents=[parent],
        help="run the Telegram bot",
        description="Run the Telegram bot with TELEGRAM_BOT_TOKEN (or BRIEFBOT_TELEGRAM_TOKEN). "
        "Long polling by default; a webhook (with GET /healthz and /metrics beside it) when "
        "--webhook-url / BRIEFBOT_TELEGRAM_WEBHOOK_URL is set.",
    )
    p.add_argument("--webhook-url", help="public HTTPS URL Telegram should post updates to")
    p.add_argument("--port", type=int, default=None, help="local webhook port")
    p.set_defaults(func=run)


def log_startup_summary(settings: Settings, engine: Engine, mode: str) -> None:
    """The doctor's findings without the Telegram probe (PTB's start calls getMe itself)."""
    from bot.ops.doctor import diagnose

    report = asyncio.run(diagnose(settings))
    log.info("briefbot starting: %s", mode)
    for finding in report.findings:
        level = {"warn": logging.WARNING, "fail": logging.ERROR}.get(finding.status, logging.INFO)
        log.log(level, "%s: %s", finding.check, finding.message)


def run(args: argparse.Namespace) -> int:
    from bot.ops.heartbeat import Heartbeat
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
    token = settings.telegram.token.get_secret_value().strip()
    configure_logging(
        settings.ops.log_format,
        settings.secret_values(),
        hash_key=token,
        verbose=getattr(args, "verbose", False),
    )
    webhook = bool(settings.telegram.webhook_url)
    mode = f"webhook {settings.telegram.webhook_url}" if webhook else "long polling"
    engine = Engine(settings)
    try:
        engine.ensure_corpus(notify=lambda msg: print(msg, file=sys.stderr))
        log_startup_summary(settings, engine, mode)
        services = Services.create(engine, settings)
        services.heartbeat = Heartbeat(engine, "webhook" if webhook else "polling")
        app = build_application(services, webhook=webhook)
        print(f"briefbot: running the Telegram bot ({mode}); Ctrl+C stops it", file=sys.stderr)
        if webhook:
            run_webhook(
                app,
                settings,
                health=lambda: asyncio.to_thread(engine.store.ping),
                metrics=engine.metrics,
            )
        else:
            run_polling(app, settings)
    finally:
        engine.close()
    return 0
