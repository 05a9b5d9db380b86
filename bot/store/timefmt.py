"""How datetimes are stored: ISO 8601 in UTC with a fixed width, so text order is time order.

Also the clamped arithmetic every window uses: a datetime holds years 1–9999 only, and a
window reaching past either end is cut there instead of raising OverflowError.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

log = logging.getLogger(__name__)

EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC, microsecond=0)

# Rows written before years were zero-padded: "999-05-01T…" (strftime's %Y does not pad).
_SHORT_YEAR = re.compile(r"^(\d{1,3})-")


def to_db(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    if dt.tzinfo is UTC and not dt.microsecond:  # what parsing gives: nothing to convert
        return dt.isoformat()
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return utc_clamped(dt).replace(microsecond=0).isoformat()  # isoformat pads the year


def from_db(value: str | None) -> datetime | None:
    """The stored time; an unreadable value is logged and read as missing, never raised."""
    if not value:
        return None
    short = _SHORT_YEAR.match(value)
    if short:
        value = short.group(1).zfill(4) + value[short.end(1) :]
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        log.warning("unreadable stored time %r; treated as missing", value[:40])
        return None
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def required_time(value: datetime | None) -> datetime:
    """For NOT NULL columns: a stored timestamp that must be there."""
    if value is None:
        raise ValueError("missing required timestamp")
    return value


def shifted(dt: datetime, delta: timedelta) -> datetime:
    """`dt + delta`, clamped to the first or last representable instant instead of overflowing."""
    try:
        return dt + delta
    except OverflowError:
        edge = LATEST if delta > timedelta(0) else EARLIEST
        return edge if dt.tzinfo is not None else edge.replace(tzinfo=None)


def utc_clamped(dt: datetime) -> datetime:
    """An aware `dt` in UTC; a local time on 0001-01-01 or 9999-12-31 whose UTC instant
    falls outside years 1–9999 becomes the nearest representable one."""
    try:
        return dt.astimezone(UTC)
    except OverflowError:
        return EARLIEST if dt.year == 1 else LATEST


def minute_text(dt: datetime) -> str:
    """`YYYY-MM-DD HH:MM` with a four-digit year (strftime's %Y is not padded on glibc)."""
    return dt.isoformat(sep=" ", timespec="minutes")[:16]
