"""Candidate answers and how much the sources agree on them.

The classic factoid step: every candidate of the asked type (a name for "who"/"which", a
number next to the asked noun for "how many", a date for "when") found in the scored
sentences is credited, in each article, with the likelihood of its best sentence there
(exp(score − best score), the sentence scores being log-linear); its support is the sum over
articles. An answer that several articles give, each in a sentence that matches the question,
outweighs one that a single well-matching sentence happens to hold. A shorter name inside a
longer one ("Biden" in "Joe Biden") counts for both.

The leading candidate's support then lifts the sentences that hold it (`support` feature), and
how many articles give it and by what margin over the runner-up feed the confidence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from bot.answer.candidates import is_asked
from bot.text.words import STOPWORDS, fold

_KEY_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def candidate_key(text: str, asked: Collection[str] = ()) -> tuple[str, ...]:
    """A candidate's words, folded, without function words, digit group separators and the
    question's own words or their name forms: "the Eiffel Tower" and "Eiffel Tower", "2,000"
    and "2000" are one candidate, "Mayor Eric Adams" is "mayor" when the question names Eric
    Adams, and "Sri Lanka" is nothing when it says "Sri Lankan"."""
    return tuple(
        w
        for w in (fold(m.group()) for m in _KEY_WORD.finditer(text.replace(",", "")))
        if w not in STOPWORDS and not is_asked(w, asked)
    )


@dataclass
class Support:
    """The candidates of a pool of sentences and their support, best first."""

    ranked: list[tuple[tuple[str, ...], float]] = field(default_factory=list)
    articles: dict[tuple[str, ...], set[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._totals = dict(self.ranked)

    @property
    def top(self) -> tuple[str, ...] | None:
        return self.ranked[0][0] if self.ranked else None

    def total(self, key: tuple[str, ...]) -> float:
        """A candidate's support (its articles' credits summed)."""
        return self._totals.get(key, 0.0)

    def rival(self, key: tuple[str, ...]) -> float:
        """The best support of another candidate: one that neither holds `key` nor is held
        by it ("Biden" is no rival of "Joe Biden")."""
        return max(
            (t for k, t in self.ranked if not nested(k, key)),
            default=0.0,
        )

    def of(self, key: tuple[str, ...]) -> float:
        """Support of a candidate relative to the best one (0..1)."""
        best = self.ranked[0][1] if self.ranked else 0.0
        return self._totals.get(key, 0.0) / best if best > 0 else 0.0


def _within(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    return bool(short) and set(short) <= set(long)


def nested(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """One candidate key holds the other ("Biden" and "Joe Biden"): the same answer."""
    return _within(a, b) or _within(b, a)


# A sentence's credit is exp(SHARPNESS × (its score − the best score)): sentences that match
# the question much less than the best one add little.
SHARPNESS = 1.0


def support(
    mentions: Iterable[tuple[list[str], int, float]], asked: Collection[str] = ()
) -> Support:
    """Support of the candidates in (candidates, article id, sentence score) mentions."""
    pool = [m for m in mentions if m[0]]
    if not pool:
        return Support()
    best = max(score for _, _, score in pool)
    credit: dict[tuple[str, ...], dict[int, float]] = {}
    for found, article, score in pool:
        weight = math.exp(SHARPNESS * min(score - best, 0.0))
        for key in {candidate_key(c, asked) for c in found} - {()}:
            per_article = credit.setdefault(key, {})
            per_article[article] = max(per_article.get(article, 0.0), weight)
    by_word: dict[str, list[tuple[str, ...]]] = {}
    for key in credit:
        for w in set(key):
            by_word.setdefault(w, []).append(key)
    merged: dict[tuple[str, ...], dict[int, float]] = {}
    for key, per_article in credit.items():
        total = dict(per_article)
        for other in {o for w in key for o in by_word[w]} - {key}:
            if _within(other, key):
                for article, lent in credit[other].items():
                    total[article] = max(total.get(article, 0.0), lent)
        merged[key] = total
    ranked = sorted(
        ((k, sum(v.values())) for k, v in merged.items()), key=lambda kv: (-kv[1], kv[0])
    )
    return Support(ranked, {k: set(v) for k, v in merged.items()})
