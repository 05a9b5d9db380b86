"""One calibrated confidence that the chosen evidence answers the question.

A logistic model over the lead sentence's signals (see `bot.answer.evidence`). Its weights are
fitted by `benchmarks/calibrate.py` on the tune weeks of the real-question dev set (weeks of
both years, assigned by hash): answerable questions labelled by whether the answer named the
right answer; off-corpus questions (later ones, and questions asked of stores that never
covered their events) all labelled "should not answer". The abstention threshold
(`abstain_threshold`) is the lowest whose cross-validated abstention clears the floors by a
small margin on the same weeks. Nothing from the report weeks is used.
"""

from __future__ import annotations

import math

# Fitted by benchmarks/calibrate.py (see docs/benchmarks.md, "Answer quality on real questions").
WEIGHTS: dict[str, float] = {
    "bias": -5.66,
    "passage_coverage": 0.36,
    "sentence_coverage": 1.99,
    "article_coverage": 4.94,
    "other_coverage": -0.43,
    "names_missing": -0.96,
    "age_scoped": -0.83,
    "fresh_age": -2.13,
    "candidate_articles": 0.86,
    "untyped": -0.26,
}


def confidence(signals: dict[str, float], weights: dict[str, float] | None = None) -> float:
    """P(the lead answers the question) under the fitted model; 0 with no evidence at all."""
    if not signals:
        return 0.0
    w = weights or WEIGHTS
    z = w.get("bias", 0.0) + sum(w.get(name, 0.0) * value for name, value in signals.items())
    return 1.0 / (1.0 + math.exp(-z))
