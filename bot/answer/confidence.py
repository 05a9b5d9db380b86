"""One calibrated confidence that the corpus holds the answer to the question.

A logistic model over the lead sentence's signals (see `bot.answer.evidence`). Its weights are
fitted by `benchmarks/calibrate.py` on the tune weeks of the real-question dev set (weeks of
both years, assigned by hash): answerable questions labelled "should answer" when the
passages the answer was chosen from hold the right answer; off-corpus questions (later ones,
and questions asked of stores that never covered their events) all "should not answer". An
abstention then means "these sources do not hold the answer", not "the first sentence may not
name it". The abstention threshold (`abstain_threshold`) is the lowest whose cross-validated
abstention clears the floors, with a small margin, on the same weeks. Nothing from the report
weeks is used.
"""

from __future__ import annotations

import math

# Fitted by benchmarks/calibrate.py (see docs/benchmarks.md, "Answer quality on real questions").
WEIGHTS: dict[str, float] = {
    "bias": -7.10,
    "passage_coverage": 0.30,
    "sentence_coverage": 2.34,
    "article_coverage": 7.77,
    "other_coverage": -0.46,
    "names_missing": -1.05,
    "age_scoped": -0.51,
    "fresh_age": -2.68,
    "candidate_articles": 1.44,
    "untyped": -0.36,
}


def confidence(signals: dict[str, float], weights: dict[str, float] | None = None) -> float:
    """P(the sources read hold the answer) under the fitted model; 0 with no evidence at all."""
    if not signals:
        return 0.0
    w = weights or WEIGHTS
    z = w.get("bias", 0.0) + sum(w.get(name, 0.0) * value for name, value in signals.items())
    return 1.0 / (1.0 + math.exp(-z))
