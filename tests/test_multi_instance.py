"""Two `briefbot run --webhook-url` processes behind one URL, sharing one PostgreSQL database,
behave as one bot: either answers, a follow-up continues the other's conversation, a
subscription made outside them (as by the CLI) is delivered once without a restart, also
when the instance sending it is killed, and a claim left by a dead instance is taken over.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.engine import Engine
from bot.models import ArticleIn, DeliveryStatus, SubscribeRequest
from bot.telegram.webhook import webhook_secret
from tests.conftest import REPO
from tests.support.botapi import BotApiEmulator
from tests.test_telegram_cli import _free_port, _until_listening

USER = 4004
CHATS = (-1001, -1002, -1003)
HOOK = "https://bot.example.com/hook"


def _env(tmp_path: Path, api: BotApiEmulator, pg_url: str, name: str, watch: float) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.update(
        PYTHONPATH=str(REPO),
        BRIEFBOT_DATA_DIR=str(tmp_path / name),
        BRIEFBOT_DATABASE_URL=pg_url,
        TELEGRAM_BOT_TOKEN=api.token,
        BRIEFBOT_TELEGRAM_API_URL=api.url,
        BRIEFBOT_TELEGRAM_WEBHOOK_URL=HOOK,
        BRIEFBOT_BRIEFING_WATCH_SECONDS=str(watch),
        BRIEFBOT_BRIEFING_CLAIM_LEASE_SECONDS="10",
        BRIEFBOT_BRIEFING_DEFAULT_TIMEZONE="UTC",
    )
    return env


@asynccontextmanager
async def _instance(env: dict, port: int) -> AsyncIterator[asyncio.subprocess.Process]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--port", str(port),
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            await asyncio.wait_for(proc.communicate(), 20)


def _prepare(pg_url: str, tmp_path: Path) -> Engine:
    """The shared database: seed corpus plus two fresh articles for briefings."""
    engine = Engine(Settings(data_dir=tmp_path / "setup", database_url=pg_url))
    engine.ensure_corpus()
    now = datetime.now(UTC)
    engine.ingestor.ingest_articles(
        [
            ArticleIn(
                title=f"Harbour bridge closed after storm number {n}",
                text=f"The harbour bridge was closed on Monday after storm {n} damaged it.",
                source="Port News",
                url=f"https://example.com/bridge/{n}",
                published_at=now - timedelta(hours=n),
            )
            for n in (1, 2)
        ]
    )
    return engine


def _subscribe_as_the_cli(engine: Engine, chat: int) -> datetime:
    """A subscription whose slot (this minute) is due now, made two minutes ago."""
    now = datetime.now(UTC)
    slot = now.replace(second=0, microsecond=0)
    request = SubscribeRequest(
        time_of_day=slot.strftime("%H:%M"), timezone="UTC", timezone_origin="given"
    )
    engine.store.subscriptions.subscribe(chat, None, request, now - timedelta(minutes=2))
    return slot


async def test_two_webhook_instances_act_as_one_bot(
    tmp_path: Path, botapi: BotApiEmulator, pg_url: str
) -> None:
    setup = _prepare(pg_url, tmp_path)
    for chat in CHATS:
        botapi.chat(chat)
    secret = {"X-Telegram-Bot-Api-Secret-Token": webhook_secret(Settings(), botapi.token)}
    ports = _free_port(), _free_port()
    env_a = _env(tmp_path, botapi, pg_url, "a", watch=0.5)
    env_b = _env(tmp_path, botapi, pg_url, "b", watch=2.0)
    try:
        async with (
            _instance(env_a, ports[0]) as proc_a,
            _instance(env_b, ports[1]),
            httpx.AsyncClient(timeout=30) as client,
        ):
            await botapi.wait_for("setWebhook", count=2, timeout=30)
            for port in ports:
                await _until_listening(port, timeout=30)

            async def post(port: int, message: dict) -> None:
                update = {"update_id": message["message_id"], "message": message}
                reply = await client.post(
                    f"http://127.0.0.1:{port}/hook", json=update, headers=secret
                )
                assert reply.status_code == 200

            # DMs posted alternately; the follow-up on B continues A's conversation
            memory = setup.store.conversations(
                max_turns=8, max_tokens=4000, idle=timedelta(hours=1)
            )

            async def turns(count: int) -> list[str]:
                """The chat's conversation once it has `count` turns (stored after the reply)."""
                for _ in range(200):
                    found = [t.question for t in memory.history(memory.latest(USER))]
                    if len(found) >= count:
                        return found
                    await asyncio.sleep(0.05)
                return found

            await post(ports[0], botapi.private_message(USER, "What hit Ain al-Asad?"))
            [first] = await botapi.wait_for(
                "sendMessage", where=lambda c: c.chat_id == USER, timeout=30
            )
            assert "drones and missiles" in first.text
            assert await turns(1) == ["What hit Ain al-Asad?"]
            await post(ports[1], botapi.private_message(USER, "Who was behind the attack?"))
            await botapi.wait_for(
                "sendMessage", count=2, where=lambda c: c.chat_id == USER, timeout=30
            )
            assert await turns(2) == ["What hit Ain al-Asad?", "Who was behind the attack?"]

            # a subscription made outside the bots is delivered without a restart, once
            slot = _subscribe_as_the_cli(setup, CHATS[0])
            await botapi.wait_for("sendMessage", where=lambda c: c.chat_id == CHATS[0], timeout=20)
            await asyncio.sleep(2.5)  # B's watch has seen it too by now
            assert len(botapi.sent_messages(CHATS[0])) == 1
            done = setup.store.deliveries.get(CHATS[0], None, slot)
            assert done is not None and done.status is DeliveryStatus.SENT

            # the instance sending a briefing is killed mid-send: nothing is sent twice
            botapi.delays["sendMessage"] = 2.0
            slot = _subscribe_as_the_cli(setup, CHATS[1])
            for _ in range(400):  # until the briefing's request reached "Telegram"
                if any(c.chat_id == CHATS[1] for c in botapi.arrived):
                    break
                await asyncio.sleep(0.025)
            proc_a.kill()
            await proc_a.wait()
            await botapi.wait_for("sendMessage", where=lambda c: c.chat_id == CHATS[1], timeout=10)
            botapi.delays.clear()
            await asyncio.sleep(2.5)  # B's watch and catch-up have run since
            assert len(botapi.sent_messages(CHATS[1])) == 1
            row = setup.store.deliveries.get(CHATS[1], None, slot)
            assert row is not None and row.status in (DeliveryStatus.SENDING, DeliveryStatus.SENT)

            # a claim whose instance died before sending is taken over by the survivor
            slot = _subscribe_as_the_cli(setup, CHATS[2])
            sub = setup.store.subscriptions.get_for(CHATS[2])
            assert sub is not None
            dead = datetime.now(UTC) - timedelta(seconds=11)
            token = setup.store.deliveries.claim(
                CHATS[2], None, slot, sub.id, dead, lease=timedelta(seconds=10), max_attempts=3
            )
            assert token is not None
            await botapi.wait_for("sendMessage", where=lambda c: c.chat_id == CHATS[2], timeout=15)
            for _ in range(100):  # the row is marked sent right after the message went out
                row = setup.store.deliveries.get(CHATS[2], None, slot)
                if row is not None and row.status is DeliveryStatus.SENT:
                    break
                await asyncio.sleep(0.05)
            assert row is not None and (row.status, row.attempts) == (DeliveryStatus.SENT, 2)
            assert len(botapi.sent_messages(CHATS[2])) == 1
    finally:
        setup.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_job_locks_move_to_another_instance(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("pg_url") if backend == "postgresql" else None
    one = Engine(Settings(data_dir=tmp_path / "one", database_url=url))
    two = Engine(Settings(data_dir=tmp_path / "two", database_url=url))
    try:
        assert asyncio.run(one.holds_job("feed-poll"))
        assert asyncio.run(two.holds_job("feed-poll")) is (backend == "sqlite")
        assert asyncio.run(two.holds_job("briefing-sweep"))  # another job: free
        one.close()  # the holder goes away: its session, and so its lock, ends
        for _ in range(40):  # the server ends the session a moment after the disconnect
            if asyncio.run(two.holds_job("feed-poll")):
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the lock did not move to the other instance")
    finally:
        two.close()
