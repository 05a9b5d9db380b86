"""Time expressions in questions ("yesterday", "this week", "on Oct 18", "latest").

`parse_time_words` returns the question without its time words plus either a date window to
filter by or a wish for the newest articles. Windows are whole UTC days relative to a
reference time (now, or the newest article of a stale corpus).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.store.timefmt import utc_clamped
from bot.text.lexicon import CALENDAR_WORDS, MONTHS, UNITS, WEEKDAYS, is_month
from bot.text.words import STOPWORDS

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<year>(?:19|20)\d\d))?"
_NUMBER_WORDS = {word: n for word, n in UNITS.items() if n > 0}


@dataclass
class TimeQuery:
    """The question minus its time words, with the window or recency preference they meant.

    `absolute` windows ("on Oct 18", "in November") name a date that may also be part of the
    story ("sales fell in November"), so the retriever boosts rather than filters by them.
    """

    text: str
    since: datetime | None = None
    until: datetime | None = None
    prefer_recent: bool = False
    phrase: str | None = None
    absolute: bool = False

    @property
    def has_window(self) -> bool:
        return self.since is not None or self.until is not None


def _day_start(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _day_window(day: datetime) -> tuple[datetime, datetime]:
    start = _day_start(day)
    return start, start + timedelta(days=1) - timedelta(seconds=1)


def _month_window(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=UTC)
    last = calendar.monthrange(year, month)[1]
    return start, datetime(year, month, last, 23, 59, 59, tzinfo=UTC)


def _dated_day(ref: datetime, month: int, day: int, year: int | None) -> datetime | None:
    """The day a question's month and day name: in `year`; else its nearest occurrence, which
    is None when that lies ahead of `ref` ("a ban on January 19" asked in December names a
    coming day, not when the news appeared)."""
    try:
        if year is not None:
            return datetime(year, month, day, tzinfo=UTC)
        this_year = datetime(ref.year, month, day, tzinfo=UTC)
        if this_year <= ref + timedelta(days=1):
            return this_year
        last_year = this_year.replace(year=ref.year - 1)
        return None if this_year - ref < ref - last_year else last_year
    except ValueError:
        return None


def _rolling(ref: datetime, days: int) -> tuple[datetime, datetime]:
    end = _day_window(ref)[1]
    return _day_start(ref) - timedelta(days=days - 1), end


Window = tuple[datetime, datetime]


def _relative(m: re.Match[str], ref: datetime) -> Window | None:
    word = m.group(0).lower()
    if word == "today" or word == "tonight":
        return _day_window(ref)
    if word == "yesterday":
        return _day_window(ref - timedelta(days=1))
    unit = m.group("unit").lower()
    which = m.group("which").lower()
    if unit == "week":
        if which == "last":  # the calendar week before this one, Monday to Sunday
            monday = _day_start(ref) - timedelta(days=ref.weekday() + 7)
            return monday, monday + timedelta(days=7) - timedelta(seconds=1)
        return _rolling(ref, 7)
    if unit == "month":
        if which == "this":
            return _month_window(ref.year, ref.month)[0], _day_window(ref)[1]
        if which == "past":
            return _rolling(ref, 30)
        year, month = (ref.year, ref.month - 1) if ref.month > 1 else (ref.year - 1, 12)
        return _month_window(year, month)
    if which == "this":
        return datetime(ref.year, 1, 1, tzinfo=UTC), _day_window(ref)[1]
    if which == "past":
        return _rolling(ref, 365)
    return datetime(ref.year - 1, 1, 1, tzinfo=UTC), datetime(
        ref.year - 1, 12, 31, 23, 59, 59, tzinfo=UTC
    )


def _last_n(m: re.Match[str], ref: datetime) -> Window | None:
    raw = m.group("n").lower()
    n = _NUMBER_WORDS.get(raw) or int(raw)
    unit = m.group("unit").lower().rstrip("s")
    if unit == "hour":
        return ref - timedelta(hours=n), ref
    days = n * {"day": 1, "week": 7, "month": 30}[unit]
    return _rolling(ref, days)


def _month_day(m: re.Match[str], ref: datetime) -> Window | None:
    if not is_month(m.group("month")):
        return None
    year = int(m.group("year")) if m.group("year") else None
    day = _dated_day(ref, MONTHS[m.group("month").lower()], int(m.group("day")), year)
    return _day_window(day) if day else None


def _month_only(m: re.Match[str], ref: datetime) -> Window | None:
    if not is_month(m.group("month")):
        return None
    month = MONTHS[m.group("month").lower()]
    if m.group("year"):
        return _month_window(int(m.group("year")), month)
    year = ref.year if month <= ref.month else ref.year - 1
    return _month_window(year, month)


def _weekday(m: re.Match[str], ref: datetime) -> Window | None:
    back = (ref.weekday() - WEEKDAYS[m.group("weekday").lower()]) % 7
    return _day_window(ref - timedelta(days=back))


_N = r"(?P<n>\d{1,3}|" + "|".join(_NUMBER_WORDS) + r")"
_NOT_OF_YEAR = r"(?!\s+of\s+(?:19|20)\d\d)"
_PATTERNS: list[tuple[re.Pattern[str], object]] = [
    (
        re.compile(
            rf"\b(?:in\s+|over\s+|during\s+)?(?:the\s+)?(?:last|past)\s+{_N}\s+"
            r"(?P<unit>hours?|days?|weeks?|months?)\b" + _NOT_OF_YEAR,
            re.I,
        ),
        _last_n,
    ),
    (
        re.compile(
            r"\b(?:in\s+|over\s+|during\s+)?(?:the\s+)?(?P<which>this|last|past)\s+"
            r"(?P<unit>week|month|year)\b" + _NOT_OF_YEAR,
            re.I,
        ),
        _relative,
    ),
    (re.compile(r"\b(?:today|tonight|yesterday)\b", re.I), _relative),
    (re.compile(rf"\b(?:on\s+)?{_MONTH}\s+{_DAY}\b{_YEAR}", re.I), _month_day),
    (re.compile(rf"\b(?:on\s+)?(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}{_YEAR}", re.I), _month_day),
    (
        re.compile(
            r"\b(?:on\s+)?(?:last\s+)?(?P<weekday>" + "|".join(WEEKDAYS) + r")\b",
            re.I,
        ),
        _weekday,
    ),
    (re.compile(rf"\bin\s+{_MONTH}(?:\s+(?P<year>(?:19|20)\d\d))?\b", re.I), _month_only),
]
_RECENT = re.compile(
    r"\b(?:latest|newest|most\s+recent(?:ly)?|recent(?:ly)?|currently|right\s+now)\b", re.I
)


_TOKEN = re.compile(r"[^\W_]+")
# Time words inside names ("Sunday Times") do not scope the question (off only to ablate).
NAMES_ARE_NOT_TIMES = True
# Words before a weekday that make it a time ("on Sunday"), not part of a name ("Sunday Times").
_TIME_PREPOSITIONS = frozenset("on last this next since by until before after from every".split())


def _capitalised_name_word(word: str) -> bool:
    return (
        word[:1].isupper()
        and word.lower() not in STOPWORDS
        and word.lower() not in CALENDAR_WORDS
        and not word.isdigit()
    )


def inside_name(question: str, m: re.Match[str]) -> bool:
    """Whether the time expression is part of a name or title, not a scope of the question.

    "the Sunday Times", "Good Friday Agreement", "Black Friday", "Super Tuesday", "USA Today",
    "the Today programme", "Last Week Tonight": a weekday or month next to another capitalised
    word, or an everyday time word ("today", "last week") capitalised inside the question.
    """
    tokens = list(_TOKEN.finditer(question))
    inside = [t for t in tokens if m.start() <= t.start() and t.end() <= m.end()]
    before = [t for t in tokens if t.end() <= m.start()]
    after = [t for t in tokens if t.start() >= m.end()]
    for t in inside:
        word = t.group()
        past_first_word = bool(before) or t is not inside[0]
        if word.lower() not in CALENDAR_WORDS and word[:1].isupper() and past_first_word:
            return True  # "Today", "Last Week" capitalised past the question's first word
    if not inside or inside[0].group().lower() not in CALENDAR_WORDS:
        return False  # "on Monday", "in May": a preposition makes it a time
    if before and _capitalised_name_word(before[-1].group()):
        return len(before) > 1 or before[-1].group().lower() not in _QUESTION_OPENERS
    return bool(after and _capitalised_name_word(after[0].group()))


_QUESTION_OPENERS = frozenset(
    "what which who whom whose when where why how did does do is are was were has have had "
    "will can could should would".split()
)


# A statement (a pasted headline or passage) tells when its own story happened: its time words
# are words of the text, not a scope; only a question, a request or a short keyword query
# ("Gaza today") scopes the search by them (off only to ablate).
STATEMENTS_ARE_NOT_SCOPED = True
# Fewer words than this, without a question's form, is a keyword query, not a statement.
STATEMENT_MIN_WORDS = 10
_REQUEST_OPENERS = frozenset(
    "tell show give list find summarise summarize explain describe please".split()
)


# A message that opens by saying what its writer wants is a request, whatever follows
# ("I'd like to know what happened in Gaza today"); a pasted headline or passage does not open so.
_WANT_OPENING = re.compile(
    r"(?:(?:i|we)(?:\s+(?:want|need|wonder|would\s+like)|\s*['’]d\s+like|(?:\s+am|\s*['’]m)\s+"
    r"(?:looking|curious|interested))|let\s+(?:me|us)\s+know|any\s+news)\b",
    re.IGNORECASE,
)


def is_statement(text: str) -> bool:
    """Whether `text` states something rather than asks: no question mark or completion colon
    at its end, no question or request word first, no opening that says what its writer
    wants, and sentence length."""
    if text.rstrip().rstrip("\"'”’)»").rstrip().endswith(("?", ":")):
        return False
    tokens = _TOKEN.findall(text)
    if len(tokens) < STATEMENT_MIN_WORDS:
        return False
    first = tokens[0].lower()
    if first in _QUESTION_OPENERS or first in _REQUEST_OPENERS:
        return False
    return not _WANT_OPENING.match(text.lstrip())


def _tidy(text: str) -> str:
    return re.sub(r"\s+([?.!,])", r"\1", re.sub(r"\s{2,}", " ", text)).strip()


def parse_time_words(question: str, reference: datetime) -> TimeQuery:
    """Find the first time expression; strip it (and recency words) from the question. A
    statement keeps its time words as plain words."""
    if STATEMENTS_ARE_NOT_SCOPED and is_statement(question):
        return TimeQuery(text=question)
    ref = reference if reference.tzinfo else reference.replace(tzinfo=UTC)
    ref = utc_clamped(ref)
    for pattern, handler in _PATTERNS:
        m = next(
            (
                m
                for m in pattern.finditer(question)
                if not (NAMES_ARE_NOT_TIMES and inside_name(question, m))
            ),
            None,
        )
        if m is None:
            continue
        try:
            window = handler(m, ref)  # type: ignore[operator]
        except (OverflowError, ValueError):  # a reference at the calendar's edge (year 1, 9999)
            window = None
        if window is None:
            continue
        rest = question[: m.start()] + " " + question[m.end() :]
        recent = bool(_RECENT.search(rest))
        return TimeQuery(
            text=_tidy(_RECENT.sub(" ", rest)),
            since=window[0],
            until=window[1],
            prefer_recent=recent,
            phrase=m.group(0).strip(),
            absolute=handler in (_month_day, _month_only),
        )
    if _RECENT.search(question):
        return TimeQuery(text=_tidy(_RECENT.sub(" ", question)), prefer_recent=True)
    return TimeQuery(text=question)
