"""Parse and validate `/subscribe [HH:MM] [timezone] [keywords…]` (a pure function).

The time and timezone may come in either order before the keywords. Only names with a
slash (Europe/Berlin) or UTC/GMT count as timezones, so "Israel" or "Japan" (legacy zone
aliases) stay keywords. UTC offsets are refused: they ignore daylight saving time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import get_close_matches
from functools import lru_cache
from zoneinfo import available_timezones

from bot.briefing.topics import split_keywords
from bot.errors import BriefbotError
from bot.models import SubscribeRequest

MAX_KEYWORDS = 10
MAX_KEYWORD_CHARS = 50
_TIMEISH = re.compile(r"^\d{1,3}(?:[:.h]\d*)?\s*(?:am|pm)?$", re.IGNORECASE)
_CLOCK = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm)?$", re.IGNORECASE)
_OFFSET = re.compile(r"^(utc|gmt)?[+-]\d{1,2}(:?\d{2})?$", re.IGNORECASE)


class SubscribeError(BriefbotError):
    """A bad /subscribe argument; the message is the reply to send."""


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def _looks_like_time(token: str) -> bool:
    """'8:00', '25:99', '8pm' look like times (and may then be bad); '8' or '2024' do not."""
    low = token.lower()
    return bool(_TIMEISH.match(low)) and (
        any(c in low for c in ":.h") or low.endswith(("am", "pm"))
    )


def parse_time(token: str) -> str:
    """'8:00', '08:00', '8.30', '8pm', '8:30 am' → 'HH:MM'; anything else is an error."""
    m = _CLOCK.match(token.strip())
    hint = "use HH:MM between 00:00 and 23:59, for example 08:00 or 18:30"
    if not m:
        raise SubscribeError(f"“{token}” is not a time of day: {hint}.")
    hours, minutes, half = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").lower()
    if half:
        if not 1 <= hours <= 12:
            raise SubscribeError(f"“{token}” is not a time of day: {hint}.")
        hours = hours % 12 + (12 if half == "pm" else 0)
    if hours > 23 or minutes > 59:
        raise SubscribeError(f"“{token}” is not a time of day: {hint}.")
    return f"{hours:02d}:{minutes:02d}"


def _looks_like_zone(token: str) -> bool:
    return "/" in token or token.casefold() in ("utc", "gmt", "z") or bool(_OFFSET.match(token))


def parse_timezone(token: str) -> str:
    """An IANA name, case-insensitive ('europe/berlin' → 'Europe/Berlin'), or an error."""
    if token.casefold() in ("utc", "gmt", "z"):
        return "UTC"
    if _OFFSET.match(token):
        raise SubscribeError(
            f"“{token}” is a UTC offset, which ignores daylight saving time: "
            "use a timezone name such as Europe/Berlin or America/New_York."
        )
    found = _zones().get(token.casefold())
    if found is None or ("/" not in found and found != "UTC"):
        close = get_close_matches(token, sorted(_zones().values()), n=1, cutoff=0.75)
        hint = f" Did you mean {close[0]}?" if close else ""
        raise SubscribeError(
            f"Unknown timezone “{token}”: use an IANA name such as Europe/Berlin, "
            f"America/New_York or Asia/Tokyo.{hint}"
        )
    return found


def parse_keywords(args: Sequence[str]) -> list[str]:
    """Topic keywords ('Iraq, Syria' or 'Iraq Syria'), bounded in number and length."""
    keywords = split_keywords(" ".join(args))
    if len(keywords) > MAX_KEYWORDS:
        raise SubscribeError(f"At most {MAX_KEYWORDS} keywords, please (got {len(keywords)}).")
    for word in keywords:
        if len(word) > MAX_KEYWORD_CHARS:
            raise SubscribeError(f"Keyword “{word[:20]}…” is too long (max {MAX_KEYWORD_CHARS}).")
    return keywords


def parse_subscribe_args(
    args: Sequence[str],
    *,
    chat_timezone: str | None,
    default_time: str,
    default_timezone: str,
) -> SubscribeRequest:
    """Defaults: `default_time`; the chat's last-set timezone, else `default_timezone`."""
    tokens = [t for t in args if t.strip()]
    time_of_day: str | None = None
    zone: str | None = None
    while tokens and len(tokens[0]) <= 40:
        token = tokens[0].strip()
        if time_of_day is None and _looks_like_time(token):
            time_of_day = parse_time(token)
        elif zone is None and _looks_like_zone(token):
            zone = parse_timezone(token)
        else:
            break
        tokens.pop(0)
    keywords = parse_keywords(tokens)
    if zone is not None:
        origin = "given"
    elif chat_timezone:
        zone, origin = chat_timezone, "chat"
    else:
        zone, origin = default_timezone, "default"
    return SubscribeRequest(
        time_of_day=time_of_day or default_time,
        timezone=zone,
        timezone_origin=origin,  # type: ignore[arg-type]
        keywords=keywords,
    )
