"""Scheduled delivery with an injectable clock: exactly-once slots, grace, 403, retries."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.briefing.models import Briefing, SendOutcome
from bot.briefing.service import BriefingService
from bot.config import Settings
from bot.engine import Engine
from bot.models import DeliveryStatus, SubscriptionStatus
from bot.store import Database, Store

FIXTURE = Path(__file__).parent / "fixtures" / "briefing_day.jsonl"
BERLIN_8AM = datetime(2023, 10, 18, 6, 0, tzinfo=UTC)  # 08:00 CEST


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Outbox:
    """The transport: records what would have been posted; outcome scripted per call."""

    def __init__(self, *outcomes: SendOutcome) -> None:
        self.outcomes = list(outcomes)
        self.sent: list[tuple[int, int | None, Briefing]] = []

    async def __call__(
        self, *, chat_id: int, thread_id: int | None, briefing: Briefing
    ) -> SendOutcome:
        await asyncio.sleep(0)  # let a concurrent worker run in between
        outcome = self.outcomes.pop(0) if self.outcomes else SendOutcome.SENT
        if outcome is SendOutcome.SENT:
            self.sent.append((chat_id, thread_id, briefing))
        return outcome


@pytest.fixture
def corpus(settings: Settings) -> Iterator[Settings]:
    engine = Engine(settings.updated(auto_seed=False))
    engine.ingest([FIXTURE])
    engine.close()
    yield settings


def service(settings: Settings, clock: Clock, outbox: Outbox) -> BriefingService:
    """A fresh process: its own connection to the same database file."""
    return BriefingService(Store(Database(settings.database)), settings, outbox, clock=clock)


def subscribe(svc: BriefingService, chat: int, *args: str) -> int:
    return svc.subscribe(chat, None, list(args)).id


async def test_restart_between_scheduling_and_sending_delivers_once(corpus: Settings) -> None:
    clock = Clock(datetime(2023, 10, 17, 21, 0, tzinfo=UTC))
    outbox = Outbox()
    first = service(corpus, clock, outbox)
    sub = subscribe(first, 100, "08:00", "Europe/Berlin")
    plan = first.plans()[0]
    assert plan.slot == BERLIN_8AM and plan.job_name == "briefing:100:0"
    # the process dies before the job fires; a new one starts 20 minutes after the slot
    clock.now = BERLIN_8AM + timedelta(minutes=20)
    second = service(corpus, clock, outbox)
    results = await asyncio.gather(second.catch_up(), first.deliver(sub, plan.slot))
    assert len(outbox.sent) == 1
    chat, thread, briefing = outbox.sent[0]
    assert (chat, thread) == (100, None) and briefing.stories
    # every path after that is a no-op: the job again, catch-up again, a third instance
    await first.deliver(sub, plan.slot)
    await second.catch_up()
    await service(corpus, clock, outbox).catch_up()
    assert len(outbox.sent) == 1
    log = second.deliveries.get(100, None, plan.slot)
    assert log is not None and log.status is DeliveryStatus.SENT and log.attempts == 1
    assert results[0] or results[1]
    assert second.plans()[0].slot == BERLIN_8AM + timedelta(days=1)


async def test_missed_slot_inside_grace_is_sent_outside_is_skipped_and_logged(
    corpus: Settings,
) -> None:
    clock = Clock(datetime(2023, 10, 17, 20, 0, tzinfo=UTC))
    outbox = Outbox()
    svc = service(corpus, clock, outbox)
    subscribe(svc, 1, "08:00", "Europe/Berlin")  # slot 06:00 UTC: 30 min late
    subscribe(svc, 2, "03:00", "UTC")  # 3 h 30 late; the grace period is 120 minutes
    clock.now = datetime(2023, 10, 18, 6, 30, tzinfo=UTC)
    results = await svc.catch_up()
    assert [c for c, _, _ in outbox.sent] == [1]
    assert {(d.chat_id, d.status) for d in results} == {
        (1, DeliveryStatus.SENT),
        (2, DeliveryStatus.SKIPPED),
    }
    skipped = svc.deliveries.get(2, None, datetime(2023, 10, 18, 3, tzinfo=UTC))
    assert skipped is not None and skipped.attempts == 0


async def test_slot_beyond_grace_is_skipped_not_sent(corpus: Settings) -> None:
    clock = Clock(datetime(2023, 10, 17, 20, 0, tzinfo=UTC))
    outbox = Outbox()
    svc = service(corpus, clock, outbox)
    subscribe(svc, 7, "08:00", "Europe/Berlin")
    clock.now = BERLIN_8AM + timedelta(minutes=121)
    results = await svc.catch_up()
    assert outbox.sent == []
    assert [(d.chat_id, d.status) for d in results] == [(7, DeliveryStatus.SKIPPED)]
    assert "grace" in (results[0].detail or "")
    assert svc.subscriptions.get_for(7).last_slot == BERLIN_8AM
    assert await svc.catch_up() == []  # logged once, not again


async def test_several_missed_days_send_only_the_latest(corpus: Settings) -> None:
    clock = Clock(datetime(2023, 10, 15, 12, 0, tzinfo=UTC))
    outbox = Outbox()
    svc = service(corpus, clock, outbox)
    subscribe(svc, 8, "08:00", "Europe/Berlin")
    clock.now = BERLIN_8AM + timedelta(minutes=5)
    results = await svc.catch_up()
    assert [d.status for d in results] == [
        DeliveryStatus.SKIPPED,
        DeliveryStatus.SKIPPED,
        DeliveryStatus.SENT,
    ]
    assert len(outbox.sent) == 1


async def test_blocked_chat_deactivates_and_is_not_retried(corpus: Settings) -> None:
    clock = Clock(datetime(2023, 10, 17, 20, 0, tzinfo=UTC))
    outbox = Outbox(SendOutcome.BLOCKED)
    svc = service(corpus, clock, outbox)
    sub = subscribe(svc, 9, "08:00", "Europe/Berlin", "Gaza")
    clock.now = BERLIN_8AM
    delivery = await svc.deliver(sub, BERLIN_8AM)
    assert delivery is not None and delivery.status is DeliveryStatus.BLOCKED
    state = svc.subscriptions.get(sub)
    assert state is not None and state.status is SubscriptionStatus.INACTIVE
    assert svc.plans() == []
    clock.now = BERLIN_8AM + timedelta(days=1)
    assert await svc.catch_up() == []
    assert outbox.sent == [] and outbox.outcomes == []


async def test_retry_outcome_is_retried_then_gives_up(corpus: Settings) -> None:
    clock = Clock(datetime(2023, 10, 17, 20, 0, tzinfo=UTC))
    outbox = Outbox(SendOutcome.RETRY, SendOutcome.RETRY, SendOutcome.RETRY, SendOutcome.SENT)
    svc = service(corpus, clock, outbox)
    sub = subscribe(svc, 10, "08:00", "Europe/Berlin")
    clock.now = BERLIN_8AM
    first = await svc.deliver(sub, BERLIN_8AM)
    assert first is not None and first.status is DeliveryStatus.RETRY
    second = await svc.catch_up()
    assert second[0].status is DeliveryStatus.RETRY and second[0].attempts == 2
    third = await svc.deliver(sub, BERLIN_8AM)
    assert third is not None and third.status is DeliveryStatus.FAILED
    assert await svc.deliver(sub, BERLIN_8AM) is not None
    assert outbox.sent == []  # max_attempts = 3: the 4th outcome (SENT) is never reached


async def test_a_claim_whose_worker_died_before_sending_is_retaken(corpus: Settings) -> None:
    clock = Clock(BERLIN_8AM - timedelta(hours=1))
    outbox = Outbox()
    svc = service(corpus, clock, outbox)
    sub = subscribe(svc, 11, "08:00", "Europe/Berlin")
    clock.now = BERLIN_8AM
    lease = timedelta(seconds=corpus.briefing.claim_lease_seconds)
    token = svc.deliveries.claim(11, None, BERLIN_8AM, sub, clock(), lease=lease, max_attempts=3)
    assert token is not None  # a worker claimed the slot, then crashed
    assert (await svc.deliver(sub, BERLIN_8AM)).status is DeliveryStatus.CLAIMED
    clock.now = BERLIN_8AM + lease + timedelta(seconds=1)
    done = await svc.deliver(sub, BERLIN_8AM)
    assert done is not None and done.status is DeliveryStatus.SENT and len(outbox.sent) == 1


async def test_a_send_interrupted_midway_is_never_repeated(corpus: Settings) -> None:
    clock = Clock(BERLIN_8AM - timedelta(hours=1))
    svc = service(corpus, clock, Outbox())
    sub = subscribe(svc, 12, "08:00", "Europe/Berlin")
    clock.now = BERLIN_8AM
    lease = timedelta(seconds=corpus.briefing.claim_lease_seconds)
    token = svc.deliveries.claim(12, None, BERLIN_8AM, sub, clock(), lease=lease, max_attempts=3)
    assert token is not None
    svc.deliveries.update(12, None, BERLIN_8AM, token, DeliveryStatus.SENDING, clock())
    clock.now = BERLIN_8AM + lease + timedelta(minutes=1)
    outbox = Outbox()
    fresh = service(corpus, clock, outbox)
    await fresh.catch_up()
    await fresh.deliver(sub, BERLIN_8AM)
    assert outbox.sent == []
    log = fresh.deliveries.get(12, None, BERLIN_8AM)
    assert log is not None and log.status is DeliveryStatus.FAILED and "not resent" in log.detail


async def test_topics_and_window_of_a_scheduled_briefing(corpus: Settings) -> None:
    clock = Clock(datetime(2023, 10, 17, 23, 30, tzinfo=UTC))
    outbox = Outbox()
    svc = service(corpus, clock, outbox)
    sub = subscribe(svc, 13, "23:45", "UTC", "Houthi")
    clock.now = datetime(2023, 10, 17, 23, 45, tzinfo=UTC)
    await svc.deliver(sub, clock.now)
    briefing = outbox.sent[0][2]
    assert briefing.topics == ["Houthi"] and len(briefing.stories) == 1
    assert briefing.since == clock.now - timedelta(hours=24) and briefing.until == clock.now
    assert svc.subscriptions.last_briefing_at(13) == clock.now
    # /brief right after: the window starts at the last briefing, so nothing is new
    clock.now += timedelta(minutes=3)
    again = await svc.brief_now(13, ["Houthi"])
    assert again.empty and again.since == clock.now - timedelta(minutes=3)


async def test_a_late_send_covers_up_to_its_slot_and_chats_on_one_slot_share_a_build(
    corpus: Settings,
) -> None:
    clock = Clock(datetime(2023, 10, 17, 12, 0, tzinfo=UTC))
    outbox = Outbox()
    svc = service(corpus, clock, outbox)
    for chat in (40, 41):
        subscribe(svc, chat, "20:00", "UTC", "Gaza")
    subscribe(svc, 42, "20:00", "UTC")
    slot = datetime(2023, 10, 17, 20, 0, tzinfo=UTC)
    clock.now = slot + timedelta(minutes=90)  # the bot was down; still within grace
    await svc.catch_up()
    sent = {chat: briefing for chat, _, briefing in outbox.sent}
    assert sent.keys() == {40, 41, 42}
    assert sent[40] is sent[41] and sent[42] is not sent[40]
    assert sent[40].until == slot
    # the Gaza hospital reports of 20:05-21:30 are left for the next briefing, not lost
    assert svc.subscriptions.last_briefing_at(40) == slot


async def test_silent_empty_setting_sends_nothing(corpus: Settings) -> None:
    silent = corpus.updated(briefing_empty="silent")
    clock = Clock(datetime(2023, 10, 20, 7, 0, tzinfo=UTC))
    outbox = Outbox()
    svc = service(silent, clock, outbox)
    sub = subscribe(svc, 14, "08:00", "UTC")
    clock.now = datetime(2023, 10, 20, 8, 0, tzinfo=UTC)
    delivery = await svc.deliver(sub, clock.now)
    assert delivery is not None and delivery.status is DeliveryStatus.EMPTY
    assert outbox.sent == []


async def test_plans_across_timezones_and_pause(corpus: Settings) -> None:
    clock = Clock(datetime(2023, 10, 17, 0, 0, tzinfo=UTC))
    svc = service(corpus, clock, Outbox())
    subscribe(svc, 21, "08:00", "Asia/Tokyo")
    subscribe(svc, 22, "08:00", "America/New_York")
    subscribe(svc, 23, "08:00", "Europe/Berlin")
    assert [(p.chat_id, p.slot.hour) for p in svc.plans()] == [(23, 6), (22, 12), (21, 23)]
    svc.subscriptions.set_status(22, None, SubscriptionStatus.PAUSED, clock())
    assert [p.chat_id for p in svc.plans()] == [23, 21]
    assert "paused" in svc.describe(svc.subscriptions.get_for(22))
    # the chat's timezone is remembered for the next /subscribe without one
    again = svc.subscribe(21, 5, ["07:00"])
    assert again.timezone == "Asia/Tokyo" and again.thread_id == 5


async def test_daily_deliveries_follow_local_time_across_the_dst_change(
    corpus: Settings,
) -> None:
    """08:00 Berlin every day from 27 to 31 October 2023: one post a day, always 08:00 local."""
    from zoneinfo import ZoneInfo

    clock = Clock(datetime(2023, 10, 26, 12, 0, tzinfo=UTC))
    outbox = Outbox()
    svc = service(corpus, clock, outbox)
    sub = subscribe(svc, 30, "08:00", "Europe/Berlin")
    delivered: list[datetime] = []
    for _ in range(5):
        plan = svc.plan(sub)
        assert plan is not None
        clock.now = plan.slot  # the JobQueue job fires at the planned instant
        done = await svc.deliver(sub, plan.slot)
        assert done is not None and done.status is DeliveryStatus.SENT
        delivered.append(plan.slot)
        clock.now = plan.slot + timedelta(minutes=1)
    local = [d.astimezone(ZoneInfo("Europe/Berlin")) for d in delivered]
    assert [(d.day, d.hour, d.minute) for d in local] == [(27 + i, 8, 0) for i in range(5)]
    assert [d.hour for d in delivered] == [6, 6, 7, 7, 7]  # CEST, CEST, then CET
    assert len(outbox.sent) == 5


async def test_a_stale_job_after_a_time_change_sends_nothing(corpus: Settings) -> None:
    clock = Clock(datetime(2023, 10, 17, 20, 0, tzinfo=UTC))
    outbox = Outbox()
    svc = service(corpus, clock, outbox)
    sub = subscribe(svc, 50, "08:00", "Europe/Berlin")
    old = svc.plan(sub)
    assert old is not None
    clock.now = datetime(2023, 10, 17, 21, 0, tzinfo=UTC)
    svc.subscribe(50, None, ["09:00"])  # the chat's timezone (Berlin) is kept
    clock.now = old.slot
    assert await svc.deliver(sub, old.slot) is None
    new = svc.plan(sub)
    assert new is not None and new.slot == old.slot + timedelta(hours=1)
    clock.now = new.slot
    done = await svc.deliver(sub, new.slot)
    assert done is not None and done.status is DeliveryStatus.SENT and len(outbox.sent) == 1
