"""How old a source is when asked: the one age scale retrieval and evidence share."""

from __future__ import annotations

import math
from datetime import datetime

from bot.models import Passage

FRESH_DAYS = 14
STALE_DAYS = 180


def age(passage: Passage, reference: datetime | None) -> float:
    """0 up to FRESH_DAYS, rising (log-linear) to 1 at STALE_DAYS and beyond; undated sources
    and no reference: 0. News questions are mostly about recent events."""
    if reference is None or passage.published_at is None:
        return 0.0
    days = (reference - passage.published_at).total_seconds() / 86400
    if days <= FRESH_DAYS:
        return 0.0
    return min(math.log(days / FRESH_DAYS) / math.log(STALE_DAYS / FRESH_DAYS), 1.0)
