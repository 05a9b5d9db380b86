"""How datetimes are stored: ISO 8601 in UTC with a fixed width, so text order is time order."""

from __future__ import annotations

from datetime import UTC, datetime


def to_db(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def from_db(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def required_time(value: datetime | None) -> datetime:
    """For NOT NULL columns: a stored timestamp that must be there."""
    if value is None:
        raise ValueError("missing required timestamp")
    return value
