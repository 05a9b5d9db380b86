"""Which articles a briefing covers: a time window, explicit or since the last briefing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import BriefbotError
from bot.store.timefmt import shifted, utc_clamped

_LAST_SECOND = time(23, 59, 59)


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime


def _aware(dt: datetime, name: str) -> datetime:
    if dt.tzinfo is None:
        raise BriefbotError(f"{name} has no timezone; refusing to guess one")
    return utc_clamped(dt)


def since_last_briefing(now: datetime, last: datetime | None, max_hours: float) -> Window:
    """From the chat's last briefing to now, but never further back than `max_hours`."""
    now = _aware(now, "now")
    floor = shifted(now, -timedelta(hours=max_hours))
    since = floor if last is None else max(_aware(last, "last briefing"), floor)
    return Window(since=min(since, now), until=now)


def explicit_window(since: datetime | None, until: datetime, max_hours: float) -> Window:
    """`--since/--until`: until defaults to now and since to `max_hours` before until."""
    until = _aware(until, "until")
    start = shifted(until, -timedelta(hours=max_hours)) if since is None else _aware(since, "since")
    if start > until:
        raise BriefbotError("the window starts after it ends (--since is after --until)")
    return Window(since=start, until=until)


def day_window(day: date, tz: str = "UTC") -> Window:
    """One calendar day in `tz` (a DST day is 23 or 25 hours long); the first and last days
    a datetime can hold are cut at its range."""
    zone = ZoneInfo(tz)
    start = utc_clamped(datetime.combine(day, time(0, 0), tzinfo=zone))
    if day == date.max:
        return Window(since=start, until=utc_clamped(datetime.combine(day, _LAST_SECOND, zone)))
    end = utc_clamped(datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone))
    return Window(since=start, until=shifted(end, -timedelta(seconds=1)))
