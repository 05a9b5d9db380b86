"""Webhook mode's own HTTP server: updates with the secret token, /healthz and /metrics, and
two instances over one database behind one URL. Real Application, Bot API emulator."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.cli import main
from bot.config import Settings
from bot.engine import Engine
from bot.telegram.app import build_application
from bot.telegram.runner import webhook
from bot.telegram.services import Services
from bot.telegram.webhook import SECRET_HEADER, WebhookServer, webhook_secret
from tests.support.botapi import BotApiEmulator
from tests.support.corpus import ingest_news
from tests.support.telegram_bot import bot_settings
from tests.support.tg_html import parse_html

HOOK = "https://bot.example.com/telegram/hook"


@contextlib.asynccontextmanager
async def serving(engine: Engine, settings: Settings, api: BotApiEmulator) -> AsyncIterator[str]:
    """A webhook instance on a free port; yields its base URL."""
    app = build_application(Services.create(engine, settings), token=api.token, webhook=True)
    assert app.updater is None

    async def health() -> bool:
        return await asyncio.to_thread(engine.store.ping)

    async with webhook(app, settings, health=health, metrics=engine.metrics, port=0) as server:
        yield f"http://127.0.0.1:{server.port}"


def hook_settings(settings: Settings, api: BotApiEmulator) -> Settings:
    return bot_settings(settings, api, telegram_webhook_url=HOOK, auto_seed=False)


def update_for(api: BotApiEmulator, user: int, text: str) -> dict[str, Any]:
    api.private_message(user, text)
    return api.updates[-1]


async def test_updates_health_and_metrics(settings: Settings, botapi: BotApiEmulator) -> None:
    settings = hook_settings(settings, botapi)
    engine = Engine(settings)
    ingest_news(engine)
    secret = webhook_secret(settings, botapi.token)
    async with serving(engine, settings, botapi) as base, httpx.AsyncClient() as client:
        assert botapi.webhook["url"] == HOOK and botapi.webhook["secret_token"] == secret
        update = update_for(botapi, 5005, "When will the harbour bridge reopen?")
        refused = await client.post(f"{base}/telegram/hook", json=update)
        wrong = await client.post(
            f"{base}/telegram/hook", json=update, headers={SECRET_HEADER: "nope"}
        )
        garbled = await client.post(
            f"{base}/telegram/hook", content=b"{not json", headers={SECRET_HEADER: secret}
        )
        assert (refused.status_code, wrong.status_code, garbled.status_code) == (403, 403, 400)
        ok = await client.post(
            f"{base}/telegram/hook", json=update, headers={SECRET_HEADER: secret}
        )
        assert ok.status_code == 200
        [answer] = await botapi.wait_for("sendMessage", timeout=15)
        assert "Thursday" in parse_html(answer.text)

        health = await client.get(f"{base}/healthz")
        assert (health.status_code, health.text) == (200, "ok\n")
        metrics = await client.get(f"{base}/metrics")
        assert metrics.headers["content-type"].startswith("text/plain")
        body = metrics.text
        assert "briefbot_updates_total 1.0" in body
        assert 'briefbot_answers_total{fallback_reason="",mode="extractive"} 1.0' in body
        assert "# TYPE briefbot_llm_request_seconds histogram" in body
        assert "briefbot_feed_polls_total" in body and "briefbot_briefings_total" in body

        engine.store.close()  # the database stops answering
        down = await client.get(f"{base}/healthz")
        assert down.status_code == 503


async def test_briefbot_health_asks_the_local_webhook_server(
    settings: Settings, botapi: BotApiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = hook_settings(settings, botapi)
    engine = Engine(settings)
    monkeypatch.setenv("BRIEFBOT_TELEGRAM_WEBHOOK_URL", HOOK)

    def health(port: int) -> int:
        monkeypatch.setenv("BRIEFBOT_TELEGRAM_WEBHOOK_PORT", str(port))
        return main(["health", "--data-dir", str(settings.store.data_dir)])

    async with serving(engine, settings, botapi) as base:
        port = int(base.rsplit(":", 1)[1])
        assert await asyncio.to_thread(health, port) == 0
        engine.store.close()  # the database stops answering: /healthz says 503
        assert await asyncio.to_thread(health, port) == 1
    assert await asyncio.to_thread(health, port) == 1, "nothing listens any more"


async def test_two_instances_behind_one_url_both_accept_telegrams_updates(
    settings: Settings, botapi: BotApiEmulator
) -> None:
    """Each instance sets the same webhook and secret, so the second's start-up does not
    lock out the first: a load balancer may hand any update to either."""
    settings = hook_settings(settings, botapi)
    first, second = Engine(settings), Engine(settings)
    ingest_news(first)
    secret = webhook_secret(settings, botapi.token)
    try:
        async with (
            serving(first, settings, botapi) as a,
            serving(second, settings, botapi) as b,
            httpx.AsyncClient() as client,
        ):
            assert botapi.webhook["secret_token"] == secret
            for base, user in ((a, 6001), (b, 6002)):
                update = update_for(botapi, user, "When will the harbour bridge reopen?")
                reply = await client.post(
                    f"{base}/telegram/hook", json=update, headers={SECRET_HEADER: secret}
                )
                assert reply.status_code == 200
            answers = await botapi.wait_for("sendMessage", count=2, timeout=15)
        assert {a.chat_id for a in answers} == {6001, 6002}
        assert all("Thursday" in parse_html(a.text) for a in answers), [a.text for a in answers]
        assert first.metrics.snapshot()["briefbot_updates_total"] == 1
        assert second.metrics.snapshot()["briefbot_updates_total"] == 1
    finally:
        first.close()
        second.close()


def test_webhook_secret_is_stable_per_token_and_configurable(settings: Settings) -> None:
    assert webhook_secret(settings, "1:a") == webhook_secret(settings, "1:a")
    assert webhook_secret(settings, "1:a") != webhook_secret(settings, "1:b")
    configured = Settings(telegram_webhook_secret="given_Secret-1")
    assert webhook_secret(configured, "1:a") == "given_Secret-1"


def test_webhook_path_may_not_shadow_the_operator_routes(engine: Engine) -> None:
    async def health() -> bool:
        return True

    for path in ("/healthz", "metrics/"):
        try:
            WebhookServer(None, path=path, secret="s", health=health, metrics=engine.metrics)  # type: ignore[arg-type]
        except ValueError as exc:
            assert "taken" in str(exc)
        else:
            raise AssertionError(f"{path} accepted")
