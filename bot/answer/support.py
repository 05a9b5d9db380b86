"""Does the evidence support an answer, beyond sharing the question's words?

Lexical coverage cannot tell "What was the result of the 2024 US presidential election?"
from a 2023 story about the 2024 presidential election: every content word is there. These
checks look at what kind of answer the question wants and whether the chosen sentences
can be it:

- a past-tense question about a year ("What was the result of the 2024 election?") can only
  be answered by an article published in or after that year (undated articles are kept);
- the question's capitalised names ("Ottoman", "Haaland") and numbers ("2024", "3,785") must
  appear in the passage an answer sentence comes from;
- "how many/much/long …" wants a number in the answer, "when …" a date or time expression.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.models import Passage
from bot.retrieval.timewords import parse_time_words
from bot.store.timefmt import utcnow
from bot.text.words import STOPWORDS, words

_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_PAST = frozenset("was were did won lost became happened".split())
_NUMBER = re.compile(r"\d[\d,]*")
# FTS5 proximity syntax a power user may type: "NEAR(a b, 5)", "a NEAR/3 b"; not figures.
_NEAR_DISTANCE = re.compile(r"\bNEAR/\d+|(\bNEAR\s*\([^)]*?),\s*\d+\s*\)")
_NAME = re.compile(r"\b[A-Z][a-z][\w'’-]*")
# More capitalised words than this share of a question's words: it is written In Title Case.
TITLE_CASE_SHARE = 0.6
_QUANTITY = re.compile(r"\bhow (?:many|much|long|far|tall|old|big|high|large|heavy)\b", re.I)
_NUMBER_WORDS = frozenset(
    """
    one two three four five six seven eight nine ten eleven twelve thirteen fifteen twenty
    thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands
    million millions billion billions trillion dozen dozens half quarter double twice
    first second third fourth fifth sixth seventh eighth ninth tenth
    """.split()
)
# "May" is left out of the months: in questions and answers it is far more often the verb.
_TIME_WORDS = frozenset(
    """
    january february march april june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday
    friday saturday sunday today yesterday tomorrow tonight ago last next since until
    earlier later recently week weeks month months year years decade century morning
    afternoon evening night weekend season spring summer autumn winter
    """.split()
)


def past_years(question: str) -> list[int]:
    """Years named by a past-tense question (the event must have happened by then)."""
    if not _PAST & set(words(question)):
        return []
    return [int(y) for y in _YEAR.findall(question)]


def published_in_time(passage: Passage, years: list[int]) -> bool:
    """False when the passage is dated before the latest year the question asks about."""
    if not years or passage.published_at is None:
        return True
    return passage.published_at.year >= max(years)


def question_names(question: str) -> set[str]:
    """Capitalised words after the first (folded): names the answer's source must contain.

    Words, not stems: a stem would let "France" match "francs".

    All-capital acronyms (US, DR) are left out: they have other written forms ("U.S.",
    "Democratic Republic"); so are months and weekdays, which the date handling weighs. A
    question In Title Case has no telling capitals, so it names nothing.
    """
    found = [m for m in _NAME.finditer(question) if m.start() > 0]
    if len(found) > TITLE_CASE_SHARE * max(len(words(question)) - 1, 1):
        return set()
    names: set[str] = set()
    for m in found:
        for w in words(m.group()):
            if w not in STOPWORDS and w not in _TIME_WORDS:
                names.add(w)
    return names


def question_figures(question: str) -> set[str]:
    """The question's numbers, leaving out dates ("on Dec 26", "in June 2004").

    An article rarely states its own date ("on Tuesday"); the date handling weighs dates.
    """
    plain = _NEAR_DISTANCE.sub(lambda m: m.group(1) or " ", question)
    return numbers(parse_time_words(plain, utcnow()).text)


def numbers(text: str) -> set[str]:
    """Digit groups with thousands separators dropped, so 3,785 and 3785 are one number."""
    return {m.group().rstrip(",").replace(",", "") for m in _NUMBER.finditer(text)}


def mentions(passage: Passage, names: set[str], figures: set[str]) -> bool:
    """Whether the passage (title or text) holds all of the question's names and numbers."""
    if not names and not figures:
        return True
    text = f"{passage.title}\n{passage.text}"
    if not figures <= numbers(text):
        return False
    if not names:
        return True
    present = set(words(text))
    return all(_named(name, present) for name in names)


def _named(name: str, present: set[str]) -> bool:
    """A name is there as written, or in its plural/singular form (Palestinian(s))."""
    return name in present or f"{name}s" in present or (name.endswith("s") and name[:-1] in present)


def wanted_type(question: str) -> str | None:
    """What the answer must hold: "number", "time", or None when anything may answer."""
    if _QUANTITY.search(question):
        return "number"
    first = words(question)[:1]
    if first == ["when"]:
        return "time"
    return None


def has_type(texts: Iterable[str], wanted: str | None) -> bool:
    """Whether any of the texts holds the kind of answer wanted (see `wanted_type`)."""
    if wanted is None:
        return True
    for text in texts:
        tokens = set(words(text))
        if any(c.isdigit() for c in text) or tokens & _NUMBER_WORDS:
            return True
        if wanted == "time" and tokens & _TIME_WORDS:
            return True
    return False


def supporting(question: str, passages: list[Passage]) -> list[Passage]:
    """The passages that can hold the answer: dated late enough, naming what the question names."""
    years, names, figures = (
        past_years(question),
        question_names(question),
        question_figures(question),
    )
    return [p for p in passages if published_in_time(p, years) and mentions(p, names, figures)]


def answers_type(question: str, texts: Iterable[str]) -> bool:
    """Whether the answer sentences hold the kind of answer the question asks for."""
    return has_type(texts, wanted_type(question))
