"""One calibrated confidence that the chosen evidence answers the question.

A logistic model over the lead sentence's signals (see `bot.answer.evidence`). Its weights are
fitted by `benchmarks/calibrate.py` on the tuning split of the real-question dev set (2022
weeks: answerable questions labelled by whether the answer named the right answer, plus
off-corpus questions, all labelled "should not answer"); the abstention threshold
(`abstain_threshold`) is chosen on the same split. Nothing from the reported split is used.
"""

from __future__ import annotations

import math

# Fitted by benchmarks/calibrate.py (see docs/benchmarks.md, "Answer quality on real questions").
WEIGHTS: dict[str, float] = {
    "bias": -4.92,
    "passage_coverage": 1.44,
    "context_coverage": 4.96,
    "sentence_coverage": 0.85,
    "count_missing": -1.75,
    "names_missing": -1.18,
    "unknown_names": -3.24,
    "figures_missing": -0.92,
    "stale": -0.91,
    "age": -1.49,
    "outside_scope": -2.13,
}


def confidence(signals: dict[str, float], weights: dict[str, float] | None = None) -> float:
    """P(the lead answers the question) under the fitted model; 0 with no evidence at all."""
    if not signals:
        return 0.0
    w = weights or WEIGHTS
    z = w.get("bias", 0.0) + sum(w.get(name, 0.0) * value for name, value in signals.items())
    return 1.0 / (1.0 + math.exp(-z))
