"""The confidence fit's labels and its threshold rule (benchmarks/calibrate.py)."""

from __future__ import annotations

import numpy as np

from benchmarks.calibrate import Row, operating_point, target


def _row(kind: str, *, named: int = 0, held: bool = False) -> Row:
    return Row(kind, "20240105", "2024", {}, named, False, in_read=held)


def test_an_answer_the_corpus_holds_is_a_positive_even_when_the_lead_misses_it() -> None:
    held_not_named = _row("answerable", held=True)
    assert target(held_not_named, "held") == 1
    assert target(held_not_named, "named") == 0
    assert target(_row("answerable"), "held") == 0
    assert target(_row("answerable"), "answerable") == 1
    for kind in ("offcorpus", "general", "crossyear"):
        assert target(_row(kind, named=1, held=True), "answerable") == 0


def test_the_threshold_clears_the_floors_by_the_margin() -> None:
    # 10 off-corpus questions scored 0.05..0.50, 10 answerable ones scored 0.9
    rows = [_row("offcorpus") for _ in range(10)] + [_row("answerable") for _ in range(10)]
    scores = np.array([0.05 * (i + 1) for i in range(10)] + [0.9] * 10)
    exact, rates = operating_point(rows, scores)
    assert rates["offcorpus"] >= 0.85 and exact == 0.46  # 9 of 10 abstain (0.90)
    padded, rates = operating_point(rows, scores, margin=0.06)
    assert rates["offcorpus"] >= 0.91 and padded == 0.51
