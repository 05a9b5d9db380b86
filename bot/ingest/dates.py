"""Parse the date formats news comes in and return timezone-aware UTC datetimes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

from dateutil import parser as dateutil_parser

_SLASHED_YMD = re.compile(r"^\d{4}/\d{1,2}/\d{1,2}")
# RFC 2822 ("Thu, 19 Oct 2023 10:15:00 +0200"); email.utils is lenient with anything else
# and would read "October 19, 2023 3:30 PM" as 03:30, so it only gets this shape.
_RFC2822 = re.compile(r"^([A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d")
_EPOCH = re.compile(r"^-?\d{9,13}(\.\d+)?$")


class DateParseError(ValueError):
    pass


def parse_date(value: object) -> datetime | None:
    """ISO 8601, RFC 2822, `2023/08/28`, `Oct 19, 2023`, epoch seconds… → aware UTC.

    Naive values are taken as UTC. Raises DateParseError for anything that is not a date,
    including numbers and offsets outside the range datetime can hold.
    """
    if value is None or value == "":
        return None
    try:
        return _to_utc(value)
    except (ValueError, OverflowError, OSError) as exc:
        if isinstance(exc, DateParseError):
            raise
        raise DateParseError(f"date out of range {str(value)[:60]!r}") from exc


def _to_utc(value: object) -> datetime:
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
    if _EPOCH.match(text):
        seconds = float(text)
        return datetime.fromtimestamp(seconds / 1000 if abs(seconds) > 10**11 else seconds, UTC)
    candidate = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        pass
    if _RFC2822.match(text):
        try:
            return parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            pass
    try:
        return dateutil_parser.parse(text, dayfirst=False, yearfirst=bool(_SLASHED_YMD.match(text)))
    except (ValueError, OverflowError, TypeError) as exc:
        raise DateParseError(f"unparseable date {text[:60]!r}") from exc
