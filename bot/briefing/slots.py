"""Daily slots of a subscription: a local wall time in an IANA zone, as UTC instants.

A local day has exactly one slot. On a spring-forward day a time inside the gap (02:30 in
New York) is sent at the same distance after the jump (03:30 local); on a fall-back day an
ambiguous time (01:30) is its first occurrence. A naive datetime is refused, never taken as UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def _aware(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError("naive datetime: a timezone is required")
    return dt.astimezone(UTC)


def parse_hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def slot_on(day: date, hhmm: str, tz: str) -> datetime:
    """The UTC instant of `hhmm` on local `day` in `tz`."""
    local = datetime.combine(day, parse_hhmm(hhmm), tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC)


def next_slot(hhmm: str, tz: str, after: datetime) -> datetime:
    """The first slot strictly after `after`."""
    after = _aware(after)
    today = after.astimezone(ZoneInfo(tz)).date()
    for offset in range(-1, 3):
        slot = slot_on(today + timedelta(days=offset), hhmm, tz)
        if slot > after:
            return slot
    raise AssertionError("no slot within two days")  # unreachable: one slot per local day


def latest_slot(hhmm: str, tz: str, at: datetime) -> datetime:
    """The last slot at or before `at`."""
    at = _aware(at)
    today = at.astimezone(ZoneInfo(tz)).date()
    for offset in range(1, -3, -1):
        slot = slot_on(today + timedelta(days=offset), hhmm, tz)
        if slot <= at:
            return slot
    raise AssertionError("no slot within two days")


def slots_between(hhmm: str, tz: str, start: datetime, end: datetime, limit: int) -> list[datetime]:
    """Slots in (start, end], oldest first; only the newest `limit` of them."""
    start, end = _aware(start), _aware(end)
    found: list[datetime] = []
    slot = latest_slot(hhmm, tz, end)
    while slot > start and len(found) < limit:
        found.append(slot)
        slot = latest_slot(hhmm, tz, slot - timedelta(seconds=1))
    return found[::-1]


def local_time_text(slot: datetime, tz: str) -> str:
    return slot.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


__all__ = ["latest_slot", "next_slot", "parse_hhmm", "slot_on", "slots_between", "time"]
