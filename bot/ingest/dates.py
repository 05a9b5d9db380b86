"""Parse the date formats news comes in and return timezone-aware UTC datetimes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

from dateutil import parser as dateutil_parser

_SLASHED_YMD = re.compile(r"^\d{4}/\d{1,2}/\d{1,2}")


class DateParseError(ValueError):
    pass


def parse_date(value: object) -> datetime | None:
    """ISO 8601, RFC 2822, `2023/08/28`, `Oct 19, 2023`, epoch seconds… → aware UTC.

    Naive values are taken as UTC. Raises DateParseError for text that is not a date.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 10**11 else value
        dt = datetime.fromtimestamp(seconds, UTC)
    elif isinstance(value, str):
        dt = _parse_text(value.strip())
    else:
        raise DateParseError(f"unsupported date value {value!r}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _parse_text(text: str) -> datetime:
    if not text:
        raise DateParseError("empty date")
    candidate = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return dateutil_parser.parse(text, dayfirst=False, yearfirst=bool(_SLASHED_YMD.match(text)))
    except (ValueError, OverflowError, TypeError) as exc:
        raise DateParseError(f"unparseable date {text[:60]!r}") from exc
