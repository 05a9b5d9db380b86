"""Claims: a shallow, dependency-free reading of one sentence for checking it against another.

A sentence becomes tokens with their stem (irregular verbs lemmatised), whether they name
something (capitalised), the number they state, and the negation that scopes over them.
On top of that sit the relations a reader checks when comparing a summary sentence with
its source: which words are negated, which predicate comes with which polarity, which side
of a predicate each participant stands on (the agent before an active verb or after a
passive "by"), and which noun each number counts.

The lexicons here are small and general (English function words, irregular verbs, pairs
of opposite predicates); nothing is fitted to particular sentences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from bot.text.lexicon import UNITS
from bot.text.words import STOPWORDS, fold, stem

_TOKEN = re.compile(
    r"\d+(?:[.,]\d+)*(?:\s?%|\s?per\s?cent\b)?"  # numbers: separators, decimals, percent
    r"|[^\W\d_]+(?:['’][^\W\d_]+)*"  # words, keeping "didn't" and "Hamas's" whole
    r"|[,;:()\[\]—–\"“”]"  # clause punctuation
)
# Question scaffolding is no evidence, but reporting verbs are predicates here ("X said Y").
_FUNCTION_WORDS = STOPWORDS - frozenset(
    "say said says tell told report reported reports happen happened happening".split()
)
CLAUSE_BREAKS = frozenset(',;:()[]—–"“”')
STRONG_BREAKS = frozenset(";:()[]—–")

NEGATORS = frozenset("not no never none nobody nothing neither nor without cannot nowhere".split())
# Auxiliaries and fillers skipped when looking for the word a negation scopes over.
_NEGATION_SKIP = frozenset(
    """
    be been being is are was were am do does did have has had will would shall should can
    could may might must a an the any longer yet even also so very much more such there
    evidence sign signs indication plans plan intention
    """.split()
)
_BE = frozenset("is are was were be been being get got gets getting has have had".split())
_CLAUSE_WORDS = frozenset(
    "and but or while which who whom whose that because after before when whereas".split()
)
_MODALS = frozenset(
    "to will would may might can could should must shall did does do not never".split()
)
PRONOUNS = frozenset("he she they it we i his her their its our this these those".split())

_NUMBER_WORDS = {w: str(n) for w, n in {**UNITS, "hundred": 100, "dozen": 12}.items()}

# Irregular English verb forms -> base form (so "won" meets "win", "said" meets "say").
_IRREGULAR = {
    form: base
    for base, forms in {
        "say": "said says",
        "tell": "told",
        "win": "won winning",
        "lose": "lost losing",
        "rise": "rose risen rising",
        "fall": "fell fallen falling",
        "grow": "grew grown",
        "buy": "bought",
        "sell": "sold",
        "take": "took taken",
        "give": "gave given",
        "make": "made",
        "send": "sent",
        "lead": "led",
        "hold": "held",
        "leave": "left",
        "fight": "fought",
        "seek": "sought",
        "bring": "brought",
        "come": "came",
        "go": "went gone",
        "see": "saw seen",
        "find": "found",
        "keep": "kept",
        "pay": "paid",
        "begin": "began begun",
        "choose": "chose chosen",
        "write": "wrote written",
        "speak": "spoke spoken",
        "break": "broke broken",
        "catch": "caught",
        "think": "thought",
        "feel": "felt",
        "hear": "heard",
        "know": "knew known",
        "become": "became",
        "strike": "struck",
        "shoot": "shot",
        "meet": "met",
        "beat": "beaten",
        "drive": "drove driven",
        "run": "ran",
        "steal": "stole stolen",
        "throw": "threw thrown",
        "forbid": "forbade forbidden",
        "build": "built",
        "spend": "spent",
        "stand": "stood",
        "understand": "understood",
        "draw": "drew drawn",
        "shut": "shuts",
        "sink": "sank sunk",
        "shrink": "shrank shrunk",
        "swear": "swore sworn",
    }.items()
    for form in forms.split()
}

_IRREGULAR_BASES = frozenset(_IRREGULAR.values())

# Opposite predicates, as classes: any word of one side contradicts any word of the other.
_OPPOSITES_TEXT = """
praise welcome applaud commend hail laud | condemn criticise criticize denounce slam decry
rise increase grow gain climb jump surge soar boost raise expand climb higher up | fall
  decrease decline drop shrink slump plunge tumble sink cut reduce lower lowered down slash
confirm admit acknowledge | deny
accept approve endorse agree back | reject refuse oppose veto disapprove disagree
support favour favor | oppose
win victory beat | lose defeat
allow permit authorise authorize legalise legalize | ban forbid prohibit outlaw
open reopen | close shut
succeed success successful | fail failure unsuccessful
guilty convict convicted | innocent acquit acquitted
strong strengthen | weak weaken
improve better best | worsen worse worst deteriorate
high higher highest | low lower lowest
more most | less fewer least fewest
profit | loss
surplus | deficit
buy purchase | sell
hire | fire sack
arrive | depart
ally friend | enemy foe
large larger largest big bigger biggest | small smaller smallest
rich wealthy | poor
early earlier earliest | late later latest
first | last
include | exclude
import | export
positive | negative
optimistic | pessimistic
maximum | minimum
majority | minority
increase | cut
release free freed | arrest detain jail imprison
start begin | end stop halt
north northern | south southern
east eastern | west western
legal lawful | illegal unlawful
live alive | dead die died
"""


def _opposites() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for line in " ".join(_OPPOSITES_TEXT.split("\n  ")).strip().splitlines():
        left, right = (frozenset(lemma_stem(w) for w in side.split()) for side in line.split("|"))
        for a in left:
            table.setdefault(a, set()).update(right - left)
        for b in right:
            table.setdefault(b, set()).update(left - right)
    return {k: frozenset(v) for k, v in table.items()}


# Predicates whose two participants can swap sides without changing the claim.
SYMMETRIC = frozenset(
    "meet talk clash marri negoti draw tie merg partner play compet fight spoke speak".split()
)
_NEGATIVE_PREFIXES = ("un", "non", "il", "ir")


def lemma_stem(word: str) -> str:
    w = fold(word)
    for suffix in ("'s", "’s"):
        if w.endswith(suffix):
            w = w[: -len(suffix)]
    return stem(_IRREGULAR.get(w, w))


@dataclass(frozen=True)
class Token:
    text: str
    index: int
    word: str  # folded
    stem: str
    number: str | None
    capital: bool
    punct: bool
    negator: bool

    @property
    def content(self) -> bool:
        return not self.punct and not self.negator and self.word not in _FUNCTION_WORDS


def _normal_number(raw: str) -> str:
    """ "2,000" -> "2000", "2.50" -> "2.5", "3 per cent" -> "3%"."""
    plain = raw.replace(",", "").replace(" ", "")
    percent = plain.endswith(("%", "percent"))
    plain = plain.removesuffix("%").removesuffix("percent").removesuffix("per")
    if "." in plain:
        plain = plain.rstrip("0").rstrip(".")
    return plain + ("%" if percent else "")


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    for m in _TOKEN.finditer(text):
        raw = m.group()
        i = len(tokens)
        if raw in CLAUSE_BREAKS:
            tokens.append(Token(raw, i, raw, raw, None, False, True, False))
            continue
        word = fold(raw).replace("’", "'")
        number: str | None = None
        if raw[0].isdigit():
            number = _normal_number(raw)
        elif word in _NUMBER_WORDS:
            number = _NUMBER_WORDS[word]
        negator = word in NEGATORS or word.endswith("n't")
        if word.endswith("n't"):
            word = {"won't": "will", "can't": "can", "shan't": "shall"}.get(word, word[:-3])
        tokens.append(
            Token(
                text=raw,
                index=i,
                word=word,
                stem=number if number is not None else lemma_stem(word),
                number=number,
                capital=raw[0].isupper(),
                punct=False,
                negator=negator,
            )
        )
    return tokens


@dataclass
class Claim:
    """One sentence read for checking."""

    text: str
    tokens: list[Token] = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = tokenize(self.text)

    @cached_property
    def stems(self) -> set[str]:
        return {t.stem for t in self.tokens if t.content}

    @cached_property
    def word_stems(self) -> set[str]:
        """Stems of every word, function words included ("more", "most" have opposites)."""
        return {t.stem for t in self.tokens if not t.punct and t.number is None}

    @cached_property
    def numbers(self) -> set[str]:
        return {t.number for t in self.tokens if t.number is not None and t.text[0].isdigit()}

    def names(self, capitalised_elsewhere: set[str]) -> set[str]:
        """Stems of capitalised words; a sentence-initial one only if capitalised elsewhere."""
        found = set()
        for t in self.tokens:
            if not t.capital or not t.content or t.number is not None:
                continue
            first = t.index == 0 or self.tokens[t.index - 1].text in '"“('
            if not first or t.stem in capitalised_elsewhere:
                found.add(t.stem)
        return found

    @cached_property
    def inner_capitals(self) -> set[str]:
        return {t.stem for t in self.tokens[1:] if t.capital and t.content and t.number is None}

    def positions(self, stem_: str) -> list[int]:
        return [t.index for t in self.tokens if t.stem == stem_ and t.content]

    # --- negation ----------------------------------------------------------------------
    def _negated(self, reach: int) -> set[str]:
        """Stems of the first `reach` content words each negation scopes over (its clause)."""
        found: set[str] = set()
        for t in self.tokens:
            if not t.negator:
                continue
            taken = 0
            for u in self.tokens[t.index + 1 :]:
                if u.punct and u.text in STRONG_BREAKS:
                    break
                if u.punct or u.word in _NEGATION_SKIP or u.negator:
                    continue
                if not u.content:
                    if u.word in {"and", "but", "while", "although", "though", "because"}:
                        break
                    continue
                found.add(u.stem)
                taken += 1
                if taken >= reach:
                    break
        return found

    @cached_property
    def negated_heads(self) -> set[str]:
        return self._negated(2)

    @cached_property
    def negated_scope(self) -> set[str]:
        return self._negated(6)

    def polarity_of(self, stem_: str) -> bool:
        """False when some occurrence of `stem_` is under a negation."""
        return stem_ not in self.negated_scope

    # --- roles ---------------------------------------------------------------------------
    def passive_at(self, i: int) -> int | None:
        """Index of the "by" that introduces the agent of a passive predicate at `i`."""
        after = self.tokens[i + 1 : i + 4]
        by = next((u.index for u in after if u.word == "by"), None)
        if by is None:
            return None
        before = {u.word for u in self.tokens[max(0, i - 3) : i]}
        participle = self.tokens[i].word.endswith(("ed", "en")) or self.tokens[i].word in (
            _IRREGULAR
        )
        if before & _BE or participle:
            return by
        return None

    def roles(self, pivot: int, window: int) -> dict[str, str]:
        """Side of each content stem relative to the predicate at token `pivot`:
        "agent" (before an active verb, after a passive "by") or "patient"."""
        by = self.passive_at(pivot)
        out: dict[str, str] = {}
        lo = pivot
        while lo > 0 and pivot - lo < window:
            if self.tokens[lo - 1].text in STRONG_BREAKS:
                break
            lo -= 1
        hi = pivot
        while hi < len(self.tokens) - 1 and hi - pivot < window:
            if self.tokens[hi + 1].text in STRONG_BREAKS:
                break
            hi += 1
        for t in self.tokens[lo : hi + 1]:
            if not t.content or t.index == pivot or t.stem in out:
                continue
            if by is None:
                out[t.stem] = "agent" if t.index < pivot else "patient"
            elif t.index > by:
                out[t.stem] = "agent"
            elif t.index < pivot:
                out[t.stem] = "patient"
        return out

    def verb_like(self, i: int) -> bool:
        """A guess that token `i` is a verb: a past form, an irregular verb, a word after a
        modal or "to", or a lower-case "-s" word right after a name or pronoun."""
        t = self.tokens[i]
        if (t.capital and i > 0) or t.number is not None or t.punct or t.word in STOPWORDS:
            return t.word in _IRREGULAR  # "said", "told" are verbs though stop words
        if t.word in _IRREGULAR or t.word in _IRREGULAR_BASES:
            return True
        if len(t.word) > 4 and t.word.endswith("ed"):
            return True
        prev = self.tokens[i - 1] if i > 0 else None
        if prev is None:
            return False
        if prev.word in _MODALS or (prev.word in _BE and t.word.endswith("ing")):
            return True
        return t.word.endswith("s") and (prev.capital or prev.word in PRONOUNS)

    def slot_name(self, pivot: int, side: str, names: set[str], reach: int = 6) -> str | None:
        """The name nearest to the predicate at `pivot` in its clause, on the agent or the
        patient side (the agent of a passive is after its "by")."""
        by = self.passive_at(pivot)
        if by is not None:
            start, step = (by, 1) if side == "agent" else (pivot, -1)
        else:
            start, step = (pivot, -1) if side == "agent" else (pivot, 1)
        i = start + step
        while 0 <= i < len(self.tokens) and abs(i - start) <= reach:
            t = self.tokens[i]
            if t.punct or t.word in _CLAUSE_WORDS:
                return None
            if t.stem in names:
                return t.stem
            i += step
        return None

    # --- numbers -------------------------------------------------------------------------
    def number_bindings(self, reach: int = 3) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        """What each number counts: the content words right after it (up to the next number
        or clause break) and right before it (back to the previous one), as two maps."""
        after: dict[str, set[str]] = {}
        before: dict[str, set[str]] = {}
        for t in self.tokens:
            if t.number is None or not t.text[0].isdigit():
                continue
            after.setdefault(t.number, set()).update(
                _content_stems_until_break(self.tokens[t.index + 1 :], reach)
            )
            preceding = [
                u
                for u in reversed(self.tokens[: t.index])
                if not (u.text == "(" and u.index == t.index - 1)
            ]
            before.setdefault(t.number, set()).update(_content_stems_until_break(preceding, reach))
        return after, before


OPPOSITES = _opposites()


def opposite(a: str, b: str) -> bool:
    """Stems `a` and `b` are opposite predicates (lexicon or a negative prefix)."""
    if b in OPPOSITES.get(a, ()):
        return True
    for x, y in ((a, b), (b, a)):
        for prefix in _NEGATIVE_PREFIXES:
            if x.startswith(prefix) and len(y) >= 4 and x[len(prefix) :] == y:
                return True
    return False


def _content_stems_until_break(tokens: Iterable[Token], reach: int) -> set[str]:
    """The first `reach` content stems of `tokens`, stopping at a number or a clause break."""
    found: set[str] = set()
    for u in tokens:
        if u.number is not None or u.punct or u.word in _CLAUSE_WORDS:
            break
        if u.content:
            found.add(u.stem)
            if len(found) >= reach:
                break
    return found
