"""What a question asks for: the kind of answer, and the names it is about.

The answer type comes from the question's wording alone (English question grammar, no
model): who → a person or organisation; where / which country… → a place; how many / how
much / what percentage → a number, ideally next to the asked noun ("how many Marines" →
"2,000 Marines"); when / what year → a date; which / what + noun → a name. Anything else
("why", "what did … say") accepts any sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from bot.text.lexicon import CALENDAR_WORDS
from bot.text.words import STOPWORDS, stem, words

Kind = Literal["person", "place", "number", "date", "name", "any"]

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
DATE_NOUNS = frozenset("year month day date decade century".split())
MEASURES = frozenset("many much long old far big tall high large heavy often".split())
_WH = frozenset("which what".split())


@dataclass(frozen=True)
class AnswerType:
    kind: Kind
    noun: str | None = None  # the asked noun, as a stem ("marin" for "how many Marines")


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
                return AnswerType("number", noun)
            if w in _WH and nxt:
                if nxt in NUMBER_NOUNS:
                    return AnswerType("number", None)
                if nxt in DATE_NOUNS:
                    return AnswerType("date")
                if nxt in PLACE_NOUNS:
                    return AnswerType("place", stem(nxt))
    tokens = [w for c in clauses for w in c]
    first = tokens[:1]
    if first in (["who"], ["whom"], ["whose"]) or "who" in tokens:
        return AnswerType("person", _role_after_who(tokens))
    if first == ["when"]:
        return AnswerType("date")
    if first == ["where"] or "where" in tokens[:3]:
        return AnswerType("place")
    for i, w in enumerate(tokens):
        if w in _WH and i + 1 < len(tokens) and tokens[i + 1] not in STOPWORDS:
            return AnswerType("name", stem(tokens[i + 1]))
    return AnswerType("any")


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
