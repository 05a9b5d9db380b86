"""The answer itself, ahead of the sentences that give it: "Bad Bunny", "9 years", "Moldova".

A question that asks for a type (who → a person or organisation, where / which country → a
place, how many X → a number with X, when → a date, which X → a name) is answered first by the
candidate of that type the evidence gives, as its own short line citing where it is written.
It comes from the lead sentence (its best-supported candidate, `bot.answer.support`) or, when
the lead holds none, from its article's title: news prose often names the subject in the
headline and answers with "the actor" or "the company" ("Tom Cruise honoured …" over "The
actor, 62, received the Navy's …").

No line is better than a wrong one: none when the question is untyped ("what …", "why …"),
when no candidate is found, or when another candidate is about as well supported. The line is
always text of the cited passage or its title; a number is written in digits ("nine-year" →
"9 years") with the asked noun or unit when the source gives them.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.answer.candidates import (
    CURRENCY_WORDS,
    NAME_JOINERS,
    Token,
    candidates,
    is_asked,
    numbers_with,
    tokens,
)
from bot.answer.questions import QuestionFacts
from bot.answer.support import Support, candidate_key, nested
from bot.models import Passage
from bot.text.lexicon import SCALES, UNITS, is_month
from bot.text.words import STOPWORDS, stem

if TYPE_CHECKING:
    from bot.answer.evidence import Sentence

Origin = Literal["sentence", "title"]

# The question kinds that get a line ("any" never does).
LINE_KINDS = frozenset({"person", "place", "name", "number", "date"})
# When the lead sentence holds no candidate, the article's title may name it (measured on
# the tune weeks: the sentence before the lead never did where the title did not).
TITLE_CONTEXT = True
# The chosen candidate's support must be at least this many times any rival's (a candidate
# neither inside it nor holding it); below that the sources do not clearly give one answer.
RIVAL_MARGIN = 2.0
# A number line only when it is the sole count of its sentence (the asked noun can follow one
# count while the asked verb goes with another).
SOLE_COUNT = True
# A name line leaves out the question's own words and function words at its ends.
TRIM_ASKED = True
# A date line is a year or a month (with its day and year when written beside it); weekdays
# and relative words ("yesterday", "ago") answer nothing on their own.
DATE_LINES = True


@dataclass(frozen=True)
class AnswerLine:
    text: str  # "Bad Bunny", "9 years"
    passage: Passage  # the passage cited: its text or its title holds `quoted`
    origin: Origin
    quoted: str  # the candidate as the source writes it ("nine-year")


def answer_line(
    facts: QuestionFacts, lead: Sentence, backing: Support, asked: Collection[str]
) -> AnswerLine | None:
    """The lead's answer candidate as a short line, or None (see the module docstring)."""
    kind = facts.answer_type.kind
    if kind not in LINE_KINDS:
        return None
    passage = lead.passage
    origin: Origin = "sentence"
    text, found = lead.text, lead.found
    if TITLE_CONTEXT and not any(candidate_key(c, asked) for c in lead.found):
        origin, text = "title", passage.title
        found = candidates(text, facts.answer_type, asked)
    chosen = _clear_winner(found, backing, asked)
    if chosen is None or (kind == "number" and SOLE_COUNT and not _sole_count(text, chosen)):
        return None
    line = _written(facts, text, chosen, asked)
    if line and chosen in f"{passage.title}\n{passage.text}":
        return AnswerLine(line, passage, origin, chosen)
    return None


def _clear_winner(found: list[str], backing: Support, asked: Collection[str]) -> str | None:
    """The best-supported of `found`, when no rival comes near it; a lone candidate with no
    support elsewhere wins only if no other candidate has any."""
    keyed = [(c, candidate_key(c, asked)) for c in dict.fromkeys(found)]
    keyed = [(c, k) for c, k in keyed if any(len(w) > 1 for w in k)]  # "U.S" names nothing
    if not keyed:
        return None
    best, key = max(keyed, key=lambda ck: backing.total(ck[1]))
    own = backing.total(key)
    rivals = [backing.total(k) for _, k in keyed if not nested(k, key)]
    rivals.append(backing.rival(key))
    return best if own >= RIVAL_MARGIN * max(rivals) and (own > 0 or len(keyed) == 1) else None


def _sole_count(text: str, chosen: str) -> bool:
    """No other number in the text: "3,785 Palestinians killed and 12,493 wounded" answers
    "how many Palestinians were injured" with the second number, not the one the noun follows."""
    others = {candidate_key(n) for n in numbers_with(text, None)} - {candidate_key(chosen)}
    return not others


def _written(facts: QuestionFacts, text: str, candidate: str, asked: Collection[str]) -> str | None:
    """How the line writes the candidate: numbers in digits with their noun or unit, dates
    with their day and year, names as the source writes them."""
    kind = facts.answer_type.kind
    if kind == "number":
        return _number(facts, text, candidate)
    if kind == "date":
        return _date(text, candidate) if DATE_LINES else None
    return _trimmed(candidate, asked, facts.answer_type.noun) if TRIM_ASKED else candidate


def _trimmed(candidate: str, asked: Collection[str], noun: str | None) -> str | None:
    """The name without the question's own words and function words at its ends: "New York
    City Mayor Eric Adams" → "New York City" when the question asks "Eric Adams serves as mayor
    of which city?" (the asked noun stays), "The White House" → "White House"."""
    toks = tokens(candidate)

    def spare(t: Token) -> bool:
        if t.folded in STOPWORDS or t.folded in NAME_JOINERS:
            return True
        return is_asked(t.folded, asked) and stem(t.folded) != noun

    while toks and spare(toks[0]):
        toks = toks[1:]
    while toks and spare(toks[-1]):
        toks = toks[:-1]
    if not toks:
        return None
    return candidate[toks[0].start : toks[-1].start + len(toks[-1].text)]


_WORD = re.compile(r"[\w'’-]+")
_CURRENCY = "$£€¥₹"
_PERCENT = frozenset({"percent", "per"})


def _number(facts: QuestionFacts, text: str, candidate: str) -> str | None:
    """ "2,000 US Marines" → "2,000 Marines", "a nine-year sentence" → "9 years",
    "$19 million" → "$19 million", "20 percent" → "20%"; None for a number that is no
    count ("dozens", "half")."""
    toks = tokens(text)
    at = next((i for i, t in enumerate(toks) if t.text == candidate), None)
    if at is None:
        return None
    head, _, tail = toks[at].folded.partition("-")
    if any(c.isdigit() for c in head):
        value = toks[at].text.partition("-")[0]
    elif head in UNITS and tail in UNITS and UNITS[head] >= 20:  # "twenty-five"
        value, tail = str(UNITS[head] + UNITS[tail]), ""
    elif head in UNITS:
        value = str(UNITS[head])
    else:
        return None
    following = toks[at + 1 : at + 3]
    if following and following[0].folded in SCALES and following[0].joined:
        value += " " + following[0].text
        following = following[1:]
    sign = text[max(toks[at].start - 1, 0) : toks[at].start]
    if sign and sign in _CURRENCY:
        value = sign + value
    wanted = facts.answer_type
    if wanted.unit == "percent" and following and following[0].folded in _PERCENT:
        return value + "%"
    noun = _asked_noun(facts)
    if noun is not None:
        return f"{value} {noun[:-1] if value == '1' and noun.endswith('s') else noun}"
    if wanted.unit == "money" and following and not sign and following[0].folded in CURRENCY_WORDS:
        return f"{value} {following[0].text}"
    return f"{value}-{tail}" if tail else value


def _asked_noun(facts: QuestionFacts) -> str | None:
    """The counted noun as the question writes it ("Marines" in "how many Marines …")."""
    noun = facts.answer_type.noun
    if noun is None:
        return None
    return next((w for w in _WORD.findall(facts.asked) if stem(w.lower()) == noun), None)


def _date(text: str, candidate: str) -> str | None:
    """A year, or a month with the day and year written beside it ("October 5, 2023")."""
    toks = tokens(text)
    at = next((i for i, t in enumerate(toks) if t.text == candidate), None)
    if at is None:
        return None
    if candidate.isdigit():
        return candidate
    if not is_month(candidate):
        return None
    first = last = at
    while last + 1 < min(len(toks), at + 3) and _day_or_year(toks[last + 1].text):
        last += 1
    if at > 0 and _day_or_year(toks[at - 1].text) and len(toks[at - 1].text) <= 2:
        first = at - 1
    return text[toks[first].start : toks[last].start + len(toks[last].text.rstrip(","))]


def _day_or_year(word: str) -> bool:
    word = word.rstrip(",")
    return word.isdigit() and len(word) in (1, 2, 4)
