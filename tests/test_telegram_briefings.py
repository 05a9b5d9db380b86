"""Briefings through the real Application, its JobQueue and the Bot API emulator.

The bot's clock is emulated (real speed, starting just before a slot), so a scheduled
briefing arrives within seconds.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.engine import Engine
from bot.models import DeliveryStatus, SubscriptionStatus
from bot.telegram.services import Services
from tests.support.botapi import ApiCall, BotApiEmulator
from tests.support.telegram_bot import EmulatedClock, bot_settings, run_bot
from tests.support.tg_html import parse_html

FIXTURE = Path(__file__).parent / "fixtures" / "briefing_day.jsonl"
BERLIN_8AM = datetime(2023, 10, 18, 6, 0, tzinfo=UTC)  # 08:00 CEST, the day after the news
USER = 2001
GROUP = -100300
ADMIN, OWNER, MEMBER = 21, 22, 23


def is_briefing(call: ApiCall) -> bool:
    return call.text.startswith("<b>Briefing ") or call.text.startswith("Briefing ")


@pytest.fixture
def config(settings: Settings, botapi: BotApiEmulator) -> Iterator[Settings]:
    quiet = settings.updated(auto_seed=False)
    engine = Engine(quiet)
    engine.ingest([FIXTURE])
    engine.close()
    yield bot_settings(quiet, botapi)


@contextlib.asynccontextmanager
async def bot(
    config: Settings, api: BotApiEmulator, clock: EmulatedClock
) -> AsyncIterator[Services]:
    """One bot process: its own engine (database connection), Application and JobQueue."""
    engine = Engine(config)
    try:
        async with run_bot(engine, config, api, clock=clock) as services:
            yield services
    finally:
        engine.close()


async def command(api: BotApiEmulator, chat: int, user: int, text: str, **kw: object) -> str:
    """Send a command and return the visible text of the bot's next reply."""
    before = len(api.sent_messages(chat))
    api.user_message(chat, user, text, **kw)  # type: ignore[arg-type]
    calls = await api.wait_for(
        "sendMessage", count=before + 1, where=lambda c: c.chat_id == chat, timeout=10
    )
    return parse_html(calls[before].text)


async def test_subscribed_chat_gets_its_briefing_at_the_scheduled_time(
    config: Settings, botapi: BotApiEmulator
) -> None:
    clock = EmulatedClock(BERLIN_8AM - timedelta(seconds=2.5))
    async with bot(config, botapi, clock) as services:
        reply = await command(botapi, USER, USER, "/subscribe 08:00 Europe/Berlin")
        assert "Subscribed. Daily briefing at 08:00 Europe/Berlin" in reply
        assert "next: 2023-10-18 08:00 CEST" in reply
        assert not [c for c in botapi.sent_messages(USER) if is_briefing(c)]
        found = await botapi.wait_for("sendMessage", where=is_briefing, timeout=10)
        await botapi.settle(0.3)
        delivery = services.briefings.deliveries.get(USER, None, BERLIN_8AM)
    first = found[0]
    assert clock.at(first.at) >= BERLIN_8AM, "not before its slot"
    assert clock.at(first.at) < BERLIN_8AM + timedelta(seconds=5), "and not much later"
    parts = [c for c in botapi.sent_messages(USER)][1:]
    visible = "\n".join(parse_html(c.text) for c in parts)  # valid Telegram HTML
    assert first.params["parse_mode"] == "HTML"
    assert "Briefing 2023-10-17 06:00 – 2023-10-18 06:00 UTC" in visible
    assert "Gaza" in visible and "articles from" in visible
    assert '<a href="https://' in first.text
    assert delivery is not None and delivery.status is DeliveryStatus.SENT
    assert {"brief", "subscribe", "unsubscribe", "subscriptions", "pause", "resume"} <= {
        c["command"] for c in botapi.commands["all_group_chats"]
    }


async def test_brief_replies_with_valid_html_in_the_forum_topic(
    config: Settings, botapi: BotApiEmulator
) -> None:
    clock = EmulatedClock(BERLIN_8AM)
    async with bot(config, botapi, clock):
        botapi.chat(GROUP, forum=True)
        houthi = await command(botapi, GROUP, MEMBER, "/brief Houthi", thread_id=77)
        botapi.user_message(GROUP, MEMBER, "/brief", thread_id=77)
        await botapi.wait_for("sendMessage", count=2, where=lambda c: c.chat_id == GROUP)
        await botapi.settle(0.3)
        parts = botapi.sent_messages(GROUP)[1:]
        again = await command(botapi, GROUP, MEMBER, "/brief", thread_id=77)
        bad = await command(botapi, GROUP, MEMBER, "/brief " + "x" * 60, thread_id=77)
    assert all(c.params["message_thread_id"] == 77 for c in botapi.sent_messages(GROUP))
    assert all(len(c.text) <= 4096 for c in parts)
    visible = "\n".join(parse_html(c.text) for c in parts)
    assert visible.startswith("Briefing 2023-10-17 06:00 – 2023-10-18 06:00 UTC")
    assert "1. " in visible and "articles from" in visible
    assert "No new articles since 2023-10-18 06:00 UTC" in again, "the window moved on"
    assert "USS Carney" in houthi and "Gaza" not in houthi.split("articles from")[0]
    assert "Gaza" in visible, "a topic briefing does not move the chat's window"
    assert "too long" in bad


BAD_SUBSCRIBE = [
    ("25:00", "“25:00” is not a time of day: use HH:MM between 00:00 and 23:59"),
    ("08:00 Mars/Base", "Unknown timezone “Mars/Base”"),
    ("08:00 europe/berlni", "Did you mean Europe/Berlin?"),
    ("8:00 UTC+2", "is a UTC offset, which ignores daylight saving time"),
    (" ".join(f"k{i}" for i in range(12)), "At most 10 keywords"),
    ("7:00 pizza " + "x" * 60, "is too long"),
]


async def test_bad_subscribe_arguments_get_a_clear_reply(
    config: Settings, botapi: BotApiEmulator
) -> None:
    async with bot(config, botapi, EmulatedClock(BERLIN_8AM)) as services:
        replies = [await command(botapi, USER, USER, f"/subscribe {a}") for a, _ in BAD_SUBSCRIBE]
        stored = services.briefings.subscriptions.find()
        no_args = await command(botapi, USER, USER, "/pause now")
        nothing = await command(botapi, USER, USER, "/resume")
    for reply, (_, expected) in zip(replies, BAD_SUBSCRIBE, strict=True):
        assert expected in reply and "Usage: /subscribe [HH:MM] [timezone]" in reply
    assert stored == [], "nothing is stored from a bad /subscribe"
    assert "/pause takes no arguments" in no_args
    assert "no briefing subscription" in nothing


async def test_only_group_admins_change_the_group_subscription(
    config: Settings, botapi: BotApiEmulator
) -> None:
    botapi.set_member(GROUP, ADMIN, "administrator")
    botapi.set_member(GROUP, OWNER, "creator")
    async with bot(config, botapi, EmulatedClock(BERLIN_8AM)) as services:
        store = services.briefings.subscriptions
        refused = await command(botapi, GROUP, MEMBER, "/subscribe 07:00 Europe/London")
        assert "Only the group's admins" in refused and store.find() == []
        done = await command(botapi, GROUP, ADMIN, "/subscribe 07:00 Europe/London Gaza")
        assert "Daily briefing at 07:00 Europe/London" in done and "topics: Gaza" in done
        for text in ("/pause", "/unsubscribe", "/subscribe 09:00"):
            assert "Only the group's admins" in await command(botapi, GROUP, MEMBER, text)
        listed = await command(botapi, GROUP, MEMBER, "/subscriptions")
        assert "07:00 Europe/London" in listed, "anyone may look"
        paused = await command(botapi, GROUP, OWNER, "/pause")
        assert "Paused. Daily briefing at 07:00 Europe/London (paused)" in paused
        [sub] = store.find()
        assert sub.status is SubscriptionStatus.PAUSED and sub.time_of_day == "07:00"
        assert "takes no arguments" in await command(botapi, GROUP, OWNER, "/resume now")
        assert "Resumed." in await command(botapi, GROUP, OWNER, "/resume")
        assert "Unsubscribed" in await command(botapi, GROUP, ADMIN, "/unsubscribe")
        assert "no briefing subscription" in await command(botapi, GROUP, ADMIN, "/pause")
    checked = {c.params["user_id"] for c in botapi.calls_to("getChatMember")}
    assert {MEMBER, ADMIN, OWNER} <= checked


async def test_a_403_deactivates_the_subscription_and_is_not_retried(
    config: Settings, botapi: BotApiEmulator
) -> None:
    fast_sweep = config.updated(briefing_sweep_seconds=1.0)
    clock = EmulatedClock(BERLIN_8AM - timedelta(seconds=2))
    async with bot(fast_sweep, botapi, clock) as services:
        await command(botapi, USER, USER, "/subscribe 08:00 Europe/Berlin")
        botapi.fail_next(
            "sendMessage",
            status=403,
            retry_after=None,
            description="Forbidden: bot was blocked by the user",
            times=5,
        )
        await botapi.wait_for("sendMessage", ok=False, timeout=10)
        await clock.sleep_until(BERLIN_8AM + timedelta(seconds=2.5))  # sweeps ran meanwhile
        [sub] = services.briefings.subscriptions.find()
        delivery = services.briefings.deliveries.get(USER, None, BERLIN_8AM)
        failed = [c for c in botapi.calls_to("sendMessage", USER) if not c.ok]
    assert len(failed) == 1, "a blocked chat is not retried"
    assert sub.status is SubscriptionStatus.INACTIVE and sub.status_reason
    assert delivery is not None and delivery.status is DeliveryStatus.BLOCKED


async def test_restart_between_scheduling_and_sending_delivers_once(
    config: Settings, botapi: BotApiEmulator
) -> None:
    clock = EmulatedClock(BERLIN_8AM - timedelta(seconds=1.5))
    async with bot(config, botapi, clock):
        await command(botapi, USER, USER, "/subscribe 08:00 Europe/Berlin")
    # down over the slot; the job lived only in that process's memory
    await clock.sleep_until(BERLIN_8AM + timedelta(seconds=0.5))
    assert not [c for c in botapi.sent_messages(USER) if is_briefing(c)]
    async with bot(config, botapi, clock):  # start-up catches up the missed slot
        await botapi.wait_for("sendMessage", where=is_briefing, timeout=10)
        await botapi.settle(0.3)
    async with bot(config, botapi, clock) as services:  # and a further restart sends nothing
        await botapi.settle(0.5)
        delivery = services.briefings.deliveries.get(USER, None, BERLIN_8AM)
    headers = [c for c in botapi.sent_messages(USER) if is_briefing(c)]
    assert len(headers) == 1
    assert delivery is not None and delivery.status is DeliveryStatus.SENT


async def test_two_instances_scheduling_the_same_slot_deliver_once(
    config: Settings, botapi: BotApiEmulator
) -> None:
    clock = EmulatedClock(BERLIN_8AM - timedelta(seconds=2))
    async with bot(config, botapi, clock):
        await command(botapi, USER, USER, "/subscribe 08:00 Europe/Berlin")
        async with bot(config, botapi, clock):  # a second instance rebuilds its job from the DB
            await clock.sleep_until(BERLIN_8AM + timedelta(seconds=1))
            await botapi.wait_for("sendMessage", where=is_briefing, timeout=10)
            await botapi.settle(0.5)
    assert len([c for c in botapi.sent_messages(USER) if is_briefing(c)]) == 1


async def test_rejected_html_is_resent_as_plain_text_and_counted_once(
    config: Settings, botapi: BotApiEmulator
) -> None:
    clock = EmulatedClock(BERLIN_8AM - timedelta(seconds=1.5))
    async with bot(config, botapi, clock):
        await command(botapi, USER, USER, "/subscribe 08:00 Europe/Berlin")
        botapi.fail_next(
            "sendMessage",
            status=400,
            retry_after=None,
            description="Bad Request: can't parse entities: unsupported start tag",
        )
        [plain] = await botapi.wait_for("sendMessage", where=is_briefing, timeout=10)
        await botapi.settle(0.3)
    assert plain.params.get("parse_mode") is None
    assert plain.text.startswith("Briefing 2023-10-17 06:00") and "<b>" not in plain.text
    assert len([c for c in botapi.sent_messages(USER) if is_briefing(c)]) == 1


async def test_network_error_before_the_first_message_is_retried_by_the_sweep(
    config: Settings, botapi: BotApiEmulator
) -> None:
    fast_sweep = config.updated(briefing_sweep_seconds=1.0)
    clock = EmulatedClock(BERLIN_8AM - timedelta(seconds=1.5))
    async with bot(fast_sweep, botapi, clock) as services:
        await command(botapi, USER, USER, "/subscribe 08:00 Europe/Berlin")
        botapi.fail_next("sendMessage", status=502, retry_after=None, description="Bad Gateway")
        await botapi.wait_for("sendMessage", ok=False, timeout=10)
        await botapi.wait_for("sendMessage", where=is_briefing, timeout=10)
        await botapi.settle(0.3)
        delivery = services.briefings.deliveries.get(USER, None, BERLIN_8AM)
    assert len([c for c in botapi.sent_messages(USER) if is_briefing(c)]) == 1
    assert delivery is not None and delivery.status is DeliveryStatus.SENT
    assert delivery.attempts == 2


async def test_a_forum_topic_subscription_is_delivered_into_that_topic(
    config: Settings, botapi: BotApiEmulator
) -> None:
    botapi.chat(GROUP, forum=True)
    botapi.set_member(GROUP, ADMIN, "administrator")
    clock = EmulatedClock(BERLIN_8AM - timedelta(seconds=1.5))
    async with bot(config, botapi, clock) as services:
        await command(botapi, GROUP, ADMIN, "/subscribe 08:00 Europe/Berlin", thread_id=77)
        found = await botapi.wait_for("sendMessage", where=is_briefing, timeout=10)
        [sub] = services.briefings.subscriptions.find(chat_id=GROUP)
    assert sub.thread_id == 77
    assert found[0].chat_id == GROUP and found[0].params["message_thread_id"] == 77
    assert "reply_parameters" not in found[0].params, "a scheduled briefing replies to nothing"
