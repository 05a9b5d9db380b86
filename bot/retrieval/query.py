"""Turn user text into weighted query terms.

User text is reduced to word tokens (letters and digits only); the store quotes each one
when it builds a full-text query, so nothing a user types is ever query syntax.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.text.words import STOPWORDS, stem, words


@dataclass
class QueryTerms:
    """The distinct stems of a question with the surface word that produced each."""

    stems: list[str]
    surface: dict[str, str]
    weights: dict[str, float] = field(default_factory=dict)

    @property
    def total_weight(self) -> float:
        return sum(self.weights.get(s, 0.0) for s in self.stems)

    def coverage(self, present: set[str]) -> float:
        """Share of the question's term weight found in `present` (a set of stems)."""
        return self.soft_coverage(present, {})

    def soft_coverage(self, present: set[str], soft: dict[str, float]) -> float:
        """Coverage where a missing stem counts `soft[stem]` (0..1) of its weight."""
        return self.soft_coverer()(present, soft)

    def soft_coverer(self) -> Callable[[set[str], dict[str, float]], float]:
        """`soft_coverage` for the many sentences of one question: its terms and weights
        read once (they must not change while the coverer is used)."""
        total = self.total_weight
        if total <= 0:
            return lambda present, soft: 0.0
        terms = [(s, self.weights.get(s, 0.0)) for s in self.stems]

        def cover(present: set[str], soft: dict[str, float]) -> float:
            got = sum(w * (1.0 if s in present else soft.get(s, 0.0)) for s, w in terms)
            return got / total

        return cover


def analyze(question: str) -> QueryTerms:
    tokens = words(question)
    content = [w for w in tokens if w not in STOPWORDS]
    chosen = content or tokens
    surface: dict[str, str] = {}
    for w in chosen:
        surface.setdefault(stem(w), w)
    return QueryTerms(stems=list(surface), surface=surface)
