"""Answer candidates of a type inside a sentence: names, places, numbers, dates.

No model: capitalisation, quotes, digits and the shared lexicons. A name is a run of
capitalised words (with "of", "de", "al", "von"… inside), or a quoted title; a run made only of
the question's own words is not a candidate, nor is a capitalised word that only starts the
sentence. Places are names too (no gazetteer: "Ghana has confirmed…" names its place only by
capitals). A number counts for "how many Marines" when the counted noun follows it within a
few words ("2,000 US Marines", "a nine-year sentence").
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from bot.answer.questions import AnswerType
from bot.text.lexicon import CALENDAR_WORDS, TIME_WORDS, is_month, is_number_word
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


def _is_candidate(run: list[Token], first_of_sentence: bool, asked: Collection[str]) -> bool:
    own = [t for t in run if t.folded not in NAME_JOINERS]
    if all(t.folded in asked or t.folded in STOPWORDS for t in own):
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


def numbers_with(text: str, noun: str | None) -> list[str]:
    """Numbers in `text`; with a noun stem, only those the noun follows within NOUN_GAP words."""
    toks = tokens(text)
    found = []
    for i, t in enumerate(toks):
        head, _, tail = t.folded.partition("-")
        if not is_number_word(head) or _YEAR.match(t.folded):
            continue
        following = [tail] if tail else []
        following += [x.folded for x in toks[i + 1 : i + 1 + NOUN_GAP]]
        if noun is None or any(stem(w) == noun for w in following):
            found.append(t.text)
    return found


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


def candidates(text: str, wanted: AnswerType, asked: Collection[str]) -> list[str]:
    """Answer candidates of the wanted type in `text` (empty for "any": nothing to look for);
    a number question with a counted noun wants that noun after the number."""
    if wanted.kind == "number":
        return numbers_with(text, wanted.noun)
    if wanted.kind == "date":
        return dates(text)
    if wanted.kind in ("person", "place", "name"):
        return names(text, asked)
    return []


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
