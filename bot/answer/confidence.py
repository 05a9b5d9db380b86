"""One calibrated confidence that the chosen evidence answers the question.

A logistic model over the lead sentence's signals (see `bot.answer.evidence`). Its weights are
fitted by `benchmarks/calibrate.py` on the tune weeks of the real-question dev set (weeks of
both years, assigned by hash): answerable questions labelled by whether the answer named the
right answer; off-corpus questions (later ones, and questions asked of stores that never
covered their events) all labelled "should not answer". The abstention threshold
(`abstain_threshold`) is the lowest whose cross-validated abstention meets the floors on the
same weeks. Nothing from the report weeks is used.
"""

from __future__ import annotations

import math

# Fitted by benchmarks/calibrate.py (see docs/benchmarks.md, "Answer quality on real questions").
WEIGHTS: dict[str, float] = {
    "bias": -6.39,
    "passage_coverage": -0.97,
    "sentence_coverage": 1.37,
    "article_coverage": 7.28,
    "other_coverage": 0.57,
    "names_missing": -0.96,
    "age": -1.13,
    "age_scoped": -0.76,
    "fresh_age": -1.14,
}


def confidence(signals: dict[str, float], weights: dict[str, float] | None = None) -> float:
    """P(the lead answers the question) under the fitted model; 0 with no evidence at all."""
    if not signals:
        return 0.0
    w = weights or WEIGHTS
    z = w.get("bias", 0.0) + sum(w.get(name, 0.0) * value for name, value in signals.items())
    return 1.0 / (1.0 + math.exp(-z))
