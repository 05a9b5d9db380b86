"""Answer candidates of a type inside a sentence: names, places, numbers, dates.

No model: capitalisation, quotes, digits, the shared lexicons and a gazetteer of countries,
capitals and US states (`bot.answer.places`). A name is a run of capitalised words (with "of",
"de", "al", "von"… inside), or a quoted title; a run made only of the question's own words (or
their name forms: "Lanka" for "Sri Lankan") is not a candidate, nor is a capitalised word that
only starts the sentence. "Which country / state" wants a known country / state; "who" and
"which airline" want no known place. A number counts for "how many Marines" when the counted
noun follows it within a few words ("2,000 US Marines", "a nine-year sentence"), and for
"what percentage" / "how much money" when it carries the unit ("20%", "$11bn").
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from bot.answer.places import PlaceKind, place_kinds
from bot.answer.questions import AnswerType, Unit
from bot.text.lexicon import CALENDAR_WORDS, ORDINALS, TIME_WORDS, is_month, is_number_word
from bot.text.words import STOPWORDS, fold, stem, words

# Numbers keep a unit suffix ("3.9m", "$11bn", "20%"); words keep inner hyphens and dots.
_TOKEN = re.compile(r"\d[\d,.]*(?:%|[a-z]{1,2}\b)?|[^\W\d_][\w'’.-]*", re.UNICODE)
_QUOTED = re.compile(r"[“\"‘]([^”\"’]{2,60})[”\"’]")
_CAPITALISED = re.compile(r"\b[A-Z][\w'’-]*")
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d)s?$")
NAME_JOINERS = frozenset("of de del della da di la le van von der den al el bin ibn and &".split())
NOUN_GAP = 3  # "2,000 US Marines": the counted noun within this many words after the number
ROLE_GAP = 6  # "Amelia Earhart became the first woman": a name this close to the asked role
# A name run ends at punctuation ("the Bucks, Heat and Pacers" holds three names).
SPLIT_AT_PUNCTUATION = True


@dataclass(frozen=True)
class Token:
    text: str
    folded: str
    start: int
    capital: bool
    joined: bool = True  # only spaces separate it from the token before (no comma, bracket…)


def tokens(text: str) -> list[Token]:
    out = []
    end = 0
    for m in _TOKEN.finditer(text):
        word = m.group().rstrip(".'’-")
        if word:
            joined = not text[end : m.start()].strip()
            out.append(Token(word, fold(word), m.start(), word[:1].isupper(), joined))
            end = m.start() + len(word)
    return out


def name_runs(toks: list[Token]) -> list[tuple[int, int]]:
    """(start, end) token index ranges of capitalised runs, joiners allowed inside."""
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(toks):
        if not toks[i].capital or toks[i].folded in CALENDAR_WORDS:
            i += 1
            continue
        j = i + 1
        while j < len(toks) and (toks[j].joined or not SPLIT_AT_PUNCTUATION):
            if toks[j].capital and toks[j].folded not in CALENDAR_WORDS:
                j += 1
            elif (
                toks[j].folded in NAME_JOINERS
                and j + 1 < len(toks)
                and toks[j + 1].capital
                and toks[j + 1].folded not in CALENDAR_WORDS
            ):
                j += 2
            else:
                break
        runs.append((i, j))
        i = j
    return runs


def is_asked(word: str, asked: Collection[str]) -> bool:
    """`word` (folded) is one of the question's words or a name form of one: "Lanka" when the
    question says "Sri Lankan", "Ukrainian" when it says "Ukraine", "Emmy" for "Emmys"."""
    if word in asked:
        return True
    if not NAME_FORMS or len(word) < 4:
        return False
    return any(_name_form(word, a) or _name_form(a, word) for a in asked if len(a) >= 4)


def _name_form(short: str, long: str) -> bool:
    return any(
        long.startswith(base) and long[len(base) :] in NAME_ENDINGS
        for base in (short, short[:-1])
        if len(base) >= 4 and len(long) > len(short) - 1
    )


# A candidate is not the question's own name in another form ("Lanka" for "Sri Lankan").
NAME_FORMS = True


def _is_candidate(run: list[Token], first_of_sentence: bool, asked: Collection[str]) -> bool:
    own = [t for t in run if t.folded not in NAME_JOINERS]
    if all(is_asked(t.folded, asked) or t.folded in STOPWORDS for t in own):
        return False
    return not (first_of_sentence and len(own) == 1 and own[0].folded in STOPWORDS)


def names(text: str, asked: Collection[str]) -> list[str]:
    """Capitalised runs and quoted titles of `text` that the question does not already name."""
    toks = tokens(text)
    found = []
    for i, j in name_runs(toks):
        run = toks[i:j]
        if _is_candidate(run, i == 0, asked):
            found.append(" ".join(t.text for t in run))
    for m in _QUOTED.finditer(text):
        quoted = m.group(1).strip()
        if quoted[:1].isupper() and not all(fold(w) in asked for w in quoted.split()):
            found.append(quoted)
    return found


_CURRENCY_SIGNS = "$£€¥₹"
CURRENCY_WORDS = frozenset(
    "dollar dollars pound pounds euro euros yen rupee rupees yuan cents pence".split()
)
PERCENT_WORDS = frozenset("percent per percentage".split())


def _carries(unit: Unit, text: str, t: Token, following: list[str]) -> bool:
    """The number `t` is a percentage ("20%", "20 percent") or an amount of money ("$11bn",
    "3 million pounds")."""
    if unit == "percent":
        return t.text.endswith("%") or any(w in PERCENT_WORDS for w in following[:1])
    sign = text[max(t.start - 1, 0) : t.start]
    return (bool(sign) and sign in _CURRENCY_SIGNS) or any(w in CURRENCY_WORDS for w in following)


def numbers_with(text: str, noun: str | None, unit: Unit | None = None) -> list[str]:
    """Numbers in `text`; with a noun stem, only those the noun follows within NOUN_GAP words;
    with a unit, only those that carry it. Without either, an ordinal ("first") is no count."""
    toks = tokens(text)
    found = []
    for i, t in enumerate(toks):
        head, _, tail = t.folded.partition("-")
        if not is_number_word(head) or _YEAR.match(t.folded):
            continue
        following = [tail] if tail else []
        following += [x.folded for x in toks[i + 1 : i + 1 + NOUN_GAP]]
        if unit is not None and not _carries(unit, text, t, following):
            continue
        if noun is None and unit is None and ORDINALS_ARE_NO_COUNT and head in ORDINALS:
            continue
        if noun is None or any(stem(w) == noun for w in following):
            found.append(t.text)
    return found


ORDINALS_ARE_NO_COUNT = True


def dates(text: str) -> list[str]:
    return [
        t.text
        for t in tokens(text)
        if _YEAR.match(t.folded)
        or is_month(t.text)
        or (t.folded in TIME_WORDS and t.capital)
        or t.folded in ("ago", "yesterday", "today")
    ]


# Endings that turn a name into its plural or people ("Israelis", "Iranian", "Iraqi").
NAME_ENDINGS = ("", "s", "es", "n", "ns", "an", "ans", "ian", "ians", "i", "is", "ese", "ish")


def mentions(text: str, name: str) -> bool:
    """`text` names `name` (a folded word): as a word, or capitalised with a name ending
    ("Palestinians" for palestinian, "Iranian" for iran); "goods" does not name Good."""
    if name in words(text):
        return True
    base = name[:-1] if name.endswith("s") else name
    return any(
        w.startswith(base) and w[len(base) :] in NAME_ENDINGS
        for m in _CAPITALISED.finditer(text)
        for w in words(m.group())
    )


def names_near(text: str, noun: str, asked: Collection[str]) -> list[str]:
    """Names within ROLE_GAP words of the asked noun, or holding it ("European Commission
    president Ursula von der Leyen" for "president")."""
    toks = tokens(text)
    found = []
    for i, j in name_runs(toks):
        run = toks[i:j]
        near = toks[max(i - ROLE_GAP, 0) : j + ROLE_GAP]
        if _is_candidate(run, i == 0, asked) and any(stem(t.folded) == noun for t in near):
            found.append(" ".join(t.text for t in run))
    return found


# "Which country / nation / state" asks for one of a closed set of places (`bot.answer.places`):
# only those are its candidates. Empty: any name.
CLOSED_PLACES: dict[str, frozenset[PlaceKind]] = {
    "countri": frozenset({"country"}),
    "nation": frozenset({"country"}),
    "state": frozenset({"state"}),
}
CLOSED = True  # off: any name answers "which country"
# "Who" asks for a person or an organisation, never a country, state, capital or continent;
# nor does "which" + a noun that is no place ("which virus", "which airline": NAME_NOT_PLACE).
PERSON_NOT_PLACE = True
NAME_NOT_PLACE = True


def candidates(text: str, wanted: AnswerType, asked: Collection[str]) -> list[str]:
    """Answer candidates of the wanted type in `text` (empty for "any": nothing to look for);
    a number question with a counted noun wants that noun after the number."""
    if wanted.kind == "number":
        return numbers_with(text, wanted.noun, wanted.unit)
    if wanted.kind == "date":
        return dates(text)
    if wanted.kind not in ("person", "place", "name"):
        return []
    found = names(text, asked)
    closed = CLOSED_PLACES.get(wanted.noun or "") if wanted.kind == "place" and CLOSED else None
    if closed:
        return [n for n in found if place_kinds(n) & closed]
    if (wanted.kind == "person" and PERSON_NOT_PLACE) or (wanted.kind == "name" and NAME_NOT_PLACE):
        return [n for n in found if not place_kinds(n)]
    return found


def bound_candidates(
    text: str, wanted: AnswerType, asked: Collection[str], names: Collection[str] = ()
) -> list[str]:
    """Candidates that answer a question with an asked noun in this very sentence: for "how
    many X", a number with X after it; for "who is the R (of Y)", a name next to R in a
    sentence that also names Y. Empty for other questions (nothing to bind)."""
    if wanted.noun is None:
        return []
    if wanted.kind == "number":
        return numbers_with(text, wanted.noun)
    if wanted.kind == "person" and all(mentions(text, n) for n in names):
        return names_near(text, wanted.noun, asked)
    return []
