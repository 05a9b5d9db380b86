"""Turn user text into weighted query terms.

User text is reduced to word tokens (letters and digits only); the store quotes each one
when it builds a full-text query, so nothing a user types is ever query syntax.
"""

from __future__ import annotations

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
        total = self.total_weight
        if total <= 0:
            return 0.0
        return sum(self.weights.get(s, 0.0) for s in self.stems if s in present) / total


def analyze(question: str) -> QueryTerms:
    tokens = words(question)
    content = [w for w in tokens if w not in STOPWORDS]
    chosen = content or tokens
    surface: dict[str, str] = {}
    for w in chosen:
        surface.setdefault(stem(w), w)
    return QueryTerms(stems=list(surface), surface=surface)
