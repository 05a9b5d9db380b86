"""How old a source is when asked: the one age scale retrieval and evidence share.

News questions are mostly about recent events (the same summit, prize or jackpot recurs in
older articles), so retrieval divides a passage's relevance by 1 + decay × its age, and
evidence selection counts a sentence's age against it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from bot.models import Passage

FRESH_DAYS = 14
STALE_DAYS = 180
_DAY = 86400.0
_SPAN = math.log(STALE_DAYS / FRESH_DAYS)


def age(passage: Passage, reference: datetime | None) -> float:
    """0 up to FRESH_DAYS, rising (log-linear) to 1 at STALE_DAYS and beyond; undated sources
    and no reference: 0."""
    if reference is None or passage.published_at is None:
        return 0.0
    return _age_after((reference - passage.published_at).total_seconds() / _DAY)


def _age_after(days: float) -> float:
    """The scale itself, for one source (`Recency.divisors` is its form for many rows)."""
    if days <= FRESH_DAYS:
        return 0.0
    return min(math.log(days / FRESH_DAYS) / _SPAN, 1.0)


@dataclass(frozen=True)
class Recency:
    """A preference for newer passages: relevance divided by 1 + `decay` × age at `reference`,
    the age taken from the date the index orders by (published, else ingested)."""

    reference: datetime
    decay: float

    @property
    def ceiling(self) -> float:
        """The largest divisor (a source STALE_DAYS old or older)."""
        return 1.0 + self.decay

    def divisors(self, when: np.ndarray) -> np.ndarray:
        """Per row, from `when` in epoch seconds."""
        days = (self.reference.timestamp() - when) / _DAY
        ages = np.log(np.maximum(days, FRESH_DAYS) / FRESH_DAYS) / _SPAN
        return 1.0 + self.decay * np.minimum(ages, 1.0)

    def divisor(self, passage: Passage) -> float:
        when = passage.published_at or passage.ingested_at
        return 1.0 + self.decay * _age_after((self.reference - when).total_seconds() / _DAY)
