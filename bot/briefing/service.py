"""Scheduled and on-demand briefings over an injected transport and clock.

The Telegram layer hands in `send` and calls, on start-up, `catch_up()` then schedules one
JobQueue job per `plans()` entry; each job calls `deliver(subscription_id, slot)` and then
schedules `plan(subscription_id)`. The delivery log makes every path idempotent: a restart,
a second instance, a retry or catch-up racing a job sends a slot's briefing at most once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.briefing.builder import BriefingBuilder
from bot.briefing.models import Briefing, SendOutcome
from bot.briefing.slots import latest_slot, local_time_text, next_slot, slots_between
from bot.briefing.subscribe_args import parse_subscribe_args
from bot.briefing.summary import StorySummariser
from bot.briefing.window import since_last_briefing
from bot.config import Settings
from bot.models import Delivery, DeliveryStatus, Subscription, SubscriptionStatus
from bot.store.port import Store
from bot.store.timefmt import utcnow

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
EARLY_TOLERANCE = timedelta(seconds=5)
MISSED_SLOTS_LOGGED = 7
RECENT_BRIEFINGS = 16


class Send(Protocol):
    """Deliver one briefing; report BLOCKED for Telegram 403, RETRY only if nothing went out."""

    async def __call__(
        self, *, chat_id: int, thread_id: int | None, briefing: Briefing
    ) -> SendOutcome: ...


def job_name(chat_id: int, thread_id: int | None) -> str:
    return f"briefing:{chat_id}:{thread_id or 0}"


@dataclass(frozen=True)
class Plan:
    """The next slot of one subscription: what a JobQueue job is created for."""

    subscription_id: int
    chat_id: int
    thread_id: int | None
    slot: datetime

    @property
    def job_name(self) -> str:
        return job_name(self.chat_id, self.thread_id)


class BriefingService:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        send: Send,
        *,
        clock: Clock = utcnow,
        summariser: StorySummariser | None = None,
        observe: Callable[[str], None] | None = None,
    ) -> None:
        """`observe` hears the outcome of every scheduled slot (metrics)."""
        self.settings = settings
        self.observe = observe
        self.send = send
        self.clock = clock
        self.summariser = summariser
        self.builder = BriefingBuilder(store, settings, clock)
        self.subscriptions = store.subscriptions
        self.deliveries = store.deliveries
        self._build_lock = asyncio.Lock()
        self._recent: dict[tuple[datetime, datetime, tuple[str, ...]], Briefing] = {}

    @property
    def grace(self) -> timedelta:
        return timedelta(minutes=self.settings.briefing.grace_minutes)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.settings.briefing.claim_lease_seconds)

    # --- on demand ------------------------------------------------------------------------
    async def brief_now(self, chat_id: int, topics: Sequence[str] = ()) -> Briefing:
        """`/brief`: since this chat's last briefing (at most the window maximum)."""
        window = since_last_briefing(
            self.clock(),
            self.subscriptions.last_briefing_at(chat_id),
            self.settings.briefing.window_max_hours,
        )
        return await self.builder.abuild(window, topics, self.summariser)

    async def scheduled_briefing(self, sub: Subscription, slot: datetime) -> Briefing:
        """The briefing of a slot: since the chat's last briefing, up to the slot itself.

        Chats on the same slot with the same topics share one build (their windows match
        when each got the previous slot's briefing), so 08:00 for many chats is one job.
        """
        window = since_last_briefing(
            slot,
            self.subscriptions.last_briefing_at(sub.chat_id),
            self.settings.briefing.window_max_hours,
        )
        key = (window.since, window.until, tuple(k.casefold() for k in sub.keywords))
        async with self._build_lock:
            briefing = self._recent.get(key)
            if briefing is None:
                briefing = await self.builder.abuild(window, sub.keywords, self.summariser)
                self._recent[key] = briefing
                while len(self._recent) > RECENT_BRIEFINGS:
                    self._recent.pop(next(iter(self._recent)))
        return briefing

    def record_briefing(self, chat_id: int, briefing: Briefing) -> None:
        """Call after an on-demand briefing went out: the next one starts where it ended."""
        self.subscriptions.set_last_briefing_at(chat_id, briefing.until)

    # --- subscriptions --------------------------------------------------------------------
    def subscribe(self, chat_id: int, thread_id: int | None, args: Sequence[str]) -> Subscription:
        """Parse `/subscribe` arguments (raises SubscribeError with the reply) and store."""
        s = self.settings
        request = parse_subscribe_args(
            args,
            chat_timezone=self.subscriptions.chat_timezone(chat_id),
            default_time=s.briefing.default_time,
            default_timezone=s.briefing.default_timezone,
        )
        return self.subscriptions.subscribe(chat_id, thread_id, request, self.clock())

    def chat_timezone(self, chat_id: int) -> str | None:
        """The timezone a chat last named explicitly, if any."""
        return self.subscriptions.chat_timezone(chat_id)

    def subscriptions_of(self, chat_id: int | None = None) -> list[Subscription]:
        """Every subscription (of one chat, when given), by chat and thread."""
        return self.subscriptions.find(chat_id=chat_id)

    def unsubscribe(self, chat_id: int, thread_id: int | None = None) -> bool:
        return self.subscriptions.remove(chat_id, thread_id)

    def set_status(
        self, chat_id: int, thread_id: int | None, status: SubscriptionStatus
    ) -> Subscription | None:
        """Pause or resume; None when the chat (thread) has no subscription."""
        if self.subscriptions.get_for(chat_id, thread_id) is None:
            return None
        return self.subscriptions.set_status(chat_id, thread_id, status, self.clock())

    def recent_deliveries(self, chat_id: int | None = None, limit: int = 50) -> list[Delivery]:
        return self.deliveries.recent(chat_id, limit)

    def describe(self, sub: Subscription) -> str:
        """One line for replies and `/subscriptions`; always names the timezone."""
        state = {
            SubscriptionStatus.ACTIVE: "",
            SubscriptionStatus.PAUSED: " (paused)",
            SubscriptionStatus.INACTIVE: f" (inactive: {sub.status_reason or 'stopped'})",
        }[sub.status]
        line = f"Daily briefing at {sub.time_of_day} {sub.timezone}{state}"
        if sub.status is SubscriptionStatus.ACTIVE:
            upcoming = next_slot(sub.time_of_day, sub.timezone, self.clock())
            line += f"; next: {local_time_text(upcoming, sub.timezone)}"
        if sub.keywords:
            line += f"; topics: {', '.join(sub.keywords)}"
        return line

    def schedule_version(self) -> tuple[int, str, int]:
        """Changes when any subscription is added, removed or changed, by any instance."""
        return self.subscriptions.schedule_version()

    def plans(self) -> list[Plan]:
        """The next slot of every active subscription (rebuild JobQueue jobs from this)."""
        found = [self._plan(s) for s in self.subscriptions.find(status=SubscriptionStatus.ACTIVE)]
        return sorted(found, key=lambda p: (p.slot, p.chat_id, p.thread_id or 0))

    def plan(self, subscription_id: int, *, after: datetime | None = None) -> Plan | None:
        """The next slot after now (or after `after`, e.g. the slot just delivered, when that
        is later: a job that fired a moment early must not plan the same slot again)."""
        sub = self.subscriptions.get(subscription_id)
        if sub is None or sub.status is not SubscriptionStatus.ACTIVE:
            return None
        return self._plan(sub, after)

    def _plan(self, sub: Subscription, after: datetime | None = None) -> Plan:
        now = self.clock()
        slot = next_slot(sub.time_of_day, sub.timezone, max(now, after or now))
        return Plan(sub.id, sub.chat_id, sub.thread_id, slot)

    # --- delivery -------------------------------------------------------------------------
    async def catch_up(self) -> list[Delivery]:
        """On start-up (or as a periodic tick): send the latest missed slot of each active
        subscription if within the grace period; log older missed slots as skipped."""
        now = self.clock()
        abandoned = self.deliveries.abandon_stale_sends(now, self.lease)
        if abandoned:
            log.warning("%d briefing(s) were interrupted while sending; not resent", abandoned)
        results: list[Delivery] = []
        for sub in self.subscriptions.find(status=SubscriptionStatus.ACTIVE):
            baseline = max(sub.last_slot or sub.updated_at, sub.updated_at)
            missed = slots_between(
                sub.time_of_day, sub.timezone, baseline, now, limit=MISSED_SLOTS_LOGGED
            )
            for slot in missed[:-1]:
                results.append(self._skip(sub, slot, now, "superseded by a later slot"))
            if missed:
                delivered = await self.deliver(sub.id, missed[-1])
                if delivered is not None:
                    results.append(delivered)
        return results

    async def deliver(self, subscription_id: int, slot: datetime) -> Delivery | None:
        """Send the briefing of one slot unless it was already handled; None when not due."""
        sub = self.subscriptions.get(subscription_id)
        now = self.clock()
        if sub is None or sub.status is not SubscriptionStatus.ACTIVE:
            return None
        if slot > now + EARLY_TOLERANCE or not self._is_slot_of(sub, slot):
            return None
        if now - slot > self.grace:
            return self._skip(sub, slot, now, f"missed by {now - slot} (grace {self.grace})")
        token = self.deliveries.claim(
            sub.chat_id,
            sub.thread_id,
            slot,
            sub.id,
            now,
            lease=self.lease,
            max_attempts=self.settings.briefing.max_attempts,
        )
        if token is None:
            return self.deliveries.get(sub.chat_id, sub.thread_id, slot)
        return await self._send_claimed(sub, slot, token)

    async def _send_claimed(self, sub: Subscription, slot: datetime, token: str) -> Delivery:
        chat, thread = sub.chat_id, sub.thread_id

        def finish(
            status: DeliveryStatus, detail: str | None = None, stories: int | None = None
        ) -> Delivery:
            self.deliveries.update(
                chat, thread, slot, token, status, self.clock(), detail=detail, stories=stories
            )
            if status not in (DeliveryStatus.RETRY, DeliveryStatus.SENDING):
                self.subscriptions.mark_slot(sub.id, slot)
            if self.observe is not None:
                self.observe(status.value)
            found = self.deliveries.get(chat, thread, slot)
            assert found is not None
            return found

        try:
            briefing = await self.scheduled_briefing(sub, slot)
        except Exception as exc:
            log.exception("briefing for chat %s failed to build", chat)
            return finish(DeliveryStatus.FAILED, f"build failed: {exc}")
        if briefing.empty and self.settings.briefing.empty == "silent":
            return finish(DeliveryStatus.EMPTY, briefing.note, 0)
        if not self.deliveries.update(
            chat, thread, slot, token, DeliveryStatus.SENDING, self.clock()
        ):
            found = self.deliveries.get(chat, thread, slot)
            assert found is not None
            return found  # another worker retook the claim; it sends, not us
        try:
            outcome = await self.send(chat_id=chat, thread_id=thread, briefing=briefing)
        except Exception as exc:
            log.exception("sending the briefing to chat %s failed", chat)
            return finish(DeliveryStatus.FAILED, f"send failed: {exc}; not retried")
        if outcome is SendOutcome.SENT:
            self.record_briefing(chat, briefing)
            log.info("briefing sent to chat %s for slot %s", chat, slot.isoformat())
            return finish(DeliveryStatus.SENT, stories=len(briefing.stories))
        if outcome is SendOutcome.BLOCKED:
            self.subscriptions.deactivate_chat(chat, "the bot was blocked", self.clock())
            log.warning("chat %s blocked the bot; its subscriptions are deactivated", chat)
            return finish(DeliveryStatus.BLOCKED, "blocked by the chat; subscription deactivated")
        current = self.deliveries.get(chat, thread, slot)
        attempts = current.attempts if current else self.settings.briefing.max_attempts
        if attempts >= self.settings.briefing.max_attempts:
            return finish(DeliveryStatus.FAILED, f"gave up after {attempts} attempts")
        return finish(DeliveryStatus.RETRY, f"attempt {attempts} not delivered")

    @staticmethod
    def _is_slot_of(sub: Subscription, slot: datetime) -> bool:
        """A stale job (time changed, re-subscribed since) does not match the subscription."""
        if slot <= sub.updated_at:
            return False
        return latest_slot(sub.time_of_day, sub.timezone, slot) == slot

    def _skip(self, sub: Subscription, slot: datetime, now: datetime, why: str) -> Delivery:
        if self.deliveries.record(
            sub.chat_id, sub.thread_id, slot, sub.id, DeliveryStatus.SKIPPED, now, why
        ):
            log.warning("briefing slot %s of chat %s skipped: %s", slot, sub.chat_id, why)
            if self.observe is not None:
                self.observe(DeliveryStatus.SKIPPED.value)
        self.subscriptions.mark_slot(sub.id, slot)
        found = self.deliveries.get(sub.chat_id, sub.thread_id, slot)
        assert found is not None
        return found
