"""The one place for calendar, number and time vocabulary.

Months, weekdays and number words are needed by time scoping, answer typing, support
checks and verification; kept here so they cannot disagree. "May" and "March" are months only
when written with a capital (in running text "may" is a verb and "march" a noun); callers
that see only folded words use `CALENDAR_WORDS` minus `AMBIGUOUS_MONTHS`.
"""

from __future__ import annotations

import calendar
import re

MONTHS: dict[str, int] = {
    name.lower(): i
    for i in range(1, 13)
    for name in (calendar.month_name[i], calendar.month_abbr[i])
}
MONTHS["sept"] = 9
MONTH_NAMES = frozenset(calendar.month_name[i].lower() for i in range(1, 13))
# Months that are also common lower-case words: months only when capitalised.
AMBIGUOUS_MONTHS = frozenset({"may", "mar", "march", "jan", "dec"})
WEEKDAYS: dict[str, int] = {calendar.day_name[i].lower(): i for i in range(7)}
CALENDAR_WORDS = frozenset(MONTHS) | frozenset(WEEKDAYS)

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
SCALES = {
    "hundred": 100, "hundreds": 100, "thousand": 1000, "thousands": 1000,
    "million": 10**6, "millions": 10**6, "billion": 10**9, "billions": 10**9,
    "trillion": 10**12, "trillions": 10**12, "dozen": 12, "dozens": 12,
}  # fmt: skip
ORDINALS = frozenset(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "twentieth hundredth thousandth".split()
)
FRACTIONS = frozenset("half quarter third double twice triple".split())
NUMBER_WORDS = frozenset(UNITS) | frozenset(SCALES) | ORDINALS | FRACTIONS - {"zero"}

# Words that place a statement in time (for "when …?" answers); months and weekdays included.
TIME_WORDS = (
    frozenset(
        """
        today yesterday tomorrow tonight ago last next since until earlier later recently
        week weeks month months year years decade decades century morning afternoon evening
        night weekend season spring summer autumn fall winter
        """.split()
    )
    | CALENDAR_WORDS
) - AMBIGUOUS_MONTHS

_DIGITS = re.compile(r"\d")


def is_month(token: str) -> bool:
    """A month name as written in text: "May" is a month, "may" is not."""
    low = token.lower().rstrip(".")
    if low not in MONTHS:
        return False
    return low not in AMBIGUOUS_MONTHS or token[:1].isupper()


def is_number_word(word: str) -> bool:
    """Digits anywhere in the token, or a folded number word."""
    return bool(_DIGITS.search(word)) or word in NUMBER_WORDS
