"""What a question asks for: the kind of answer, and the names it is about.

The answer type comes from the question's wording alone (English question grammar, no
model): who → a person or organisation; where / which country… → a place; how many / how
much / what percentage → a number, ideally next to the asked noun ("how many Marines" →
"2,000 Marines"); when / what year → a date; which / what + noun → a name. Anything else
("why", "what did … say") accepts any sentence.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Literal

from bot.text.lexicon import CALENDAR_WORDS
from bot.text.words import STOPWORDS, stem, words

Kind = Literal["person", "place", "number", "date", "name", "any"]
Unit = Literal["percent", "money"]

_NAME = re.compile(r"\b[A-Z][a-z][\w'’-]*")
# More capitalised words than this share of a question's words: it is written In Title Case.
TITLE_CASE_SHARE = 0.6

PLACE_NOUNS = frozenset(
    "country countries state states city cities nation nations region province continent "
    "town island capital county place location territory village district".split()
)
NUMBER_NOUNS = frozenset(
    "percentage percent number amount age proportion share price cost total rate".split()
)
# The unit a number answer carries, by the asked noun ("what percentage", "how much money").
UNITS: dict[str, Unit] = {
    "percentage": "percent",
    "percent": "percent",
    "money": "money",
    "price": "money",
    "cost": "money",
}
NUMBER_UNITS = True
DATE_NOUNS = frozenset("year month day date decade century".split())
MEASURES = frozenset(
    "many much long old far big tall high large heavy often fast deep wide".split()
)
_WH = frozenset("which what".split())


@dataclass(frozen=True)
class AnswerType:
    kind: Kind
    noun: str | None = None  # the asked noun, as a stem ("marin" for "how many Marines")
    unit: Unit | None = None  # what a number must carry: "what percentage" → a percentage


@dataclass
class QuestionFacts:
    """What the evidence for an answer must hold, read from the question once."""

    answer_type: AnswerType
    names: set[str] = field(default_factory=set)
    asked: str = ""  # the question from its question word on ("how many Israelis were killed")


_CLAUSE = re.compile(r"[.?!;:()\[\]]+")


def answer_type(question: str) -> AnswerType:
    clauses = [words(c) for c in _CLAUSE.split(question)]
    for tokens in clauses:
        for i, w in enumerate(tokens):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if w == "how" and nxt in MEASURES:
                noun = _noun_after(tokens, i + 2) if nxt == "many" else None
                after = tokens[i + 2] if i + 2 < len(tokens) and nxt == "much" else ""
                return AnswerType("number", noun, UNITS.get(after) if NUMBER_UNITS else None)
            if w in _WH and nxt:
                head = _head_noun(tokens, i + 1) if WH_PHRASES else nxt
                if head in NUMBER_NOUNS:
                    return AnswerType("number", None, UNITS.get(head) if NUMBER_UNITS else None)
                if head in DATE_NOUNS:
                    return AnswerType("date")
                if head in PLACE_NOUNS:
                    return AnswerType("place", stem(head))
    tokens = [w for c in clauses for w in c]
    first = tokens[:1]
    # a question word that opens a clause or comes before its verb ("…this week. Where is the
    # inquiry taking place?", "…, where did Pelosi travel") asks, one inside a clause relates
    opens = {c[0] for c in clauses if c} if WH_PHRASES else set(first)
    asks = opens | _asking(tokens) if WH_PHRASES else opens
    if first in (["who"], ["whom"], ["whose"]) or "who" in tokens:
        return AnswerType("person", _role_after_who(tokens))
    if "when" in asks:
        return AnswerType("date")
    if "where" in asks or "where" in tokens[:3]:
        return AnswerType("place")
    for i, w in enumerate(tokens):
        if w in _WH and i + 1 < len(tokens):
            head = _head_noun(tokens, i + 1) if WH_PHRASES else tokens[i + 1]
            if head and head not in STOPWORDS:
                return AnswerType("name", stem(head))
    return AnswerType("any")


# Read the noun a question word asks about through "of these/the following" and a copula
# ("which of these shows", "what is the estimated cost"), and take "where did/is…" anywhere as
# asking (off: the word right after the question word, and only the first word's where/when).
WH_PHRASES = True
_PARTITIVE = frozenset("of these those the following".split())
_AUXILIARIES = frozenset(
    "is was are were will would did does do has have had can could should".split()
)


def _head_noun(tokens: list[str], start: int) -> str:
    """The word a question word asks about: "which of these shows" → shows, "what is the
    estimated cost" → cost (the first of the next words in a noun list), else the next word."""
    rest = tokens[start : start + 5]
    if not rest:
        return ""
    skip = 0
    while skip < len(rest) and (rest[skip] in _PARTITIVE or rest[skip] in COPULAS):
        skip += 1
    for w in rest[skip : skip + 3]:
        if w in NUMBER_NOUNS or w in DATE_NOUNS or w in PLACE_NOUNS:
            return w
        if w in STOPWORDS:
            break
    if rest[0] in _PARTITIVE and skip < len(rest):
        return rest[skip]
    return rest[0]


def _asking(tokens: list[str]) -> set[str]:
    """ "where"/"when" followed by an auxiliary verb: asked, wherever in the question."""
    return {
        w for w, nxt in itertools.pairwise(tokens) if w in ("where", "when") and nxt in _AUXILIARIES
    }


COPULAS = frozenset("is was are were becomes became".split())
# "who is the R of Y" asks for a name next to R in a sentence naming Y (off: any name).
ROLES = True
_ARTICLES = frozenset("the a an".split())


def _role_after_who(tokens: list[str]) -> str | None:
    """The role asked about in "who is the president of Iran" (→ presid), as a stem; None
    when "who" is followed by a verb ("who won the race")."""
    i = tokens.index("who") if "who" in tokens else 0
    if not ROLES or i + 2 >= len(tokens):
        return None
    if tokens[i + 1] not in COPULAS or tokens[i + 2] not in _ARTICLES:
        return None
    return _noun_after(tokens, i + 3)


def _noun_after(tokens: list[str], start: int) -> str | None:
    """The counted thing after "how many": the last word of the phrase that follows, up to
    the first function word ("how many UK workers from …" → workers), as a stem."""
    phrase: list[str] = []
    for w in tokens[start : start + 5]:
        if w in STOPWORDS:
            break
        phrase.append(w)
    return stem(phrase[-1]) if phrase else None


def question_names(question: str) -> set[str]:
    """Capitalised words after the first (folded): names the answer's source should contain.

    Words, not stems: a stem would let "France" match "francs". All-capital acronyms (US, DR)
    are left out: they have other written forms ("U.S.", "Democratic Republic"); so are months
    and weekdays, which the date handling weighs. A question In Title Case names nothing.
    """
    found = [m for m in _NAME.finditer(question) if m.start() > 0]
    if len(found) > TITLE_CASE_SHARE * max(len(words(question)) - 1, 1):
        return set()
    names: set[str] = set()
    for m in found:
        for w in words(m.group()):
            if w not in STOPWORDS and w not in CALENDAR_WORDS:
                names.add(w)
    return names


_QUESTION_WORD = re.compile(r"\b(?:how|who|whom|what|which|when|where)\b", re.IGNORECASE)


def asked_clause(question: str) -> str:
    """The question from its question word on, without the question mark: what an answer
    that cannot be given says it lacks."""
    m = _QUESTION_WORD.search(question)
    clause = question[m.start() :] if m else question
    clause = " ".join(clause.split()).rstrip("?!. ")
    return clause[:1].lower() + clause[1:]


def question_facts(question: str) -> QuestionFacts:
    return QuestionFacts(
        answer_type=answer_type(question),
        names=question_names(question),
        asked=asked_clause(question),
    )
