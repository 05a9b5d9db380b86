"""Spelling variants in news questions: U.N./UN, 3,785/3785.

The tokenizer (like FTS5's) already splits hyphens and apostrophes, so "al-Asad" matches
"al Asad" and "Sistani's" matches "Sistani"; the porter stemmer turns "US" into "u", the same
term as the "u" of "U.S.". What it cannot do is match a written form that
tokenizes differently: "U.S." is the tokens u+s while "US" is one token; "3,785" is 3+785
while "3785" is one. We add the other form to the question and group the forms, so either
form in a passage counts as the same term for coverage (and so for abstention).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.retrieval.query import QueryTerms, analyze
from bot.text.words import STOPWORDS, stem, words

Alternative = tuple[str, ...]

_DOTTED = re.compile(r"\b(?:[A-Za-z]\.){2,}")
_ACRONYM = re.compile(r"\b[A-Z]{2,3}\b")
_GROUPED_NUMBER = re.compile(r"\b\d{1,3}(?:,\d{3})+\b")
_PLAIN_NUMBER = re.compile(r"\b\d{4,}\b")


def _stems(text: str) -> Alternative:
    return tuple(stem(w) for w in words(text))


def _with_commas(digits: str) -> str:
    return f"{int(digits):,}"


def variant_forms(question: str) -> list[tuple[str, str]]:
    """(form in the question, other form) pairs worth adding."""
    pairs: list[tuple[str, str]] = []
    for m in _DOTTED.finditer(question):
        pairs.append((m.group(), m.group().replace(".", "")))
    for m in _ACRONYM.finditer(question):
        if m.group().lower() not in STOPWORDS:  # "AND", "OR" are words, not acronyms
            pairs.append((m.group(), ".".join(m.group()) + "."))
    for m in _GROUPED_NUMBER.finditer(question):
        pairs.append((m.group(), m.group().replace(",", "")))
    for m in _PLAIN_NUMBER.finditer(question):
        if not (len(m.group()) == 4 and m.group()[:2] in ("19", "20")):
            pairs.append((m.group(), _with_commas(m.group())))
    return pairs


# A passage that lacks one of the question's rarest terms covers only this share of it.
KEY_TERM_PENALTY = 0.5
# Terms carried over from earlier turns of a conversation weigh this share of their IDF.
CONTEXT_SHARE = 0.3


@dataclass
class GroupedQueryTerms(QueryTerms):
    """Query terms where alternative spellings count once: any one form present covers it."""

    groups: list[list[Alternative]] = field(default_factory=list)
    in_corpus: set[str] | None = None
    context: set[str] = field(default_factory=set)

    def _units(self) -> list[tuple[list[Alternative], float]]:
        return self._all_units()

    def key_coverage(self, present: set[str]) -> float:
        """Coverage, cut when one of the question's two rarest terms is missing.

        Off-corpus questions often share common words with some passage ("recipe for banana
        bread") but lack one of the rare words that make them specific. Terms found nowhere
        in the corpus are not candidates: a paraphrase ("What hit …?") must not sink a match.
        """
        return self.key_coverer()(present)

    def key_coverer(self) -> Callable[[set[str]], float]:
        """`key_coverage` for the passages of one search: the question's units and its two
        key terms worked out once (its weights, context and in_corpus set by then)."""
        units = self._units()
        total = sum(w for _, w in units)
        if total <= 0:
            return lambda present: 0.0
        known = self.in_corpus
        candidates = [
            i
            for i, (alts, _) in enumerate(units)
            if (known is None or any(s in known for a in alts for s in a))
            and not any(s in self.context for a in alts for s in a)
        ]
        keys = set(sorted(candidates, key=lambda i: -units[i][1])[:2])
        # per unit: its one stem (most units) or its alternatives, its weight, key or not
        tests = [
            (alts[0][0] if len(alts) == 1 and len(alts[0]) == 1 else alts, w, i in keys)
            for i, (alts, w) in enumerate(units)
        ]

        def cover(present: set[str]) -> float:
            share, keys_held = 0.0, True  # shares summed in the units' order
            for test, w, key in tests:
                if (
                    test in present
                    if isinstance(test, str)
                    else any(present.issuperset(a) for a in test)
                ):
                    share += w
                elif key:
                    keys_held = False
            share /= total
            return share if keys_held else share * KEY_TERM_PENALTY

        return cover

    def _all_units(self) -> list[tuple[list[Alternative], float]]:
        grouped: set[str] = set()
        units: list[tuple[list[Alternative], float]] = []
        for group in self.groups:
            alts = [tuple(s for s in alt if s in self.surface) for alt in group]
            grouped.update(s for a in alts[1:] for s in a)  # added forms never count alone
            alts = [a for a in alts if a]
            if len(alts) < 2:
                continue
            grouped.update(s for a in alts for s in a)
            weight = sum(self.weights.get(s, 0.0) for s in alts[0])  # the asker's own form
            units.append((alts, weight))
        for s in self.stems:
            if s not in grouped:
                share = CONTEXT_SHARE if s in self.context else 1.0
                units.append(([(s,)], share * self.weights.get(s, 0.0)))
        return units

    @property
    def total_weight(self) -> float:
        return sum(w for _, w in self._units())

    def soft_coverage(self, present: set[str], soft: dict[str, float]) -> float:
        units = self._units()
        total = sum(w for _, w in units)
        if total <= 0:
            return 0.0
        found = 0.0
        for alts, w in units:
            if any(all(s in present for s in a) for a in alts):
                found += w
            else:
                found += w * max((soft.get(s, 0.0) for a in alts for s in a), default=0.0)
        return found / total

    def unit_surfaces(self) -> list[str]:
        """The asker's written form of each unit (for paraphrase look-ups)."""
        return [self.surface.get(alts[0][0], alts[0][0]) for alts, _ in self._units()]


def expand(question: str) -> tuple[str, GroupedQueryTerms]:
    """The question with variant forms appended, and its grouped terms (weights unset)."""
    pairs = variant_forms(question)
    expanded = question + "".join(f" {other}" for _, other in pairs)
    base = analyze(expanded)
    groups = [[_stems(form), _stems(other)] for form, other in pairs]
    return expanded, GroupedQueryTerms(stems=base.stems, surface=base.surface, groups=groups)
