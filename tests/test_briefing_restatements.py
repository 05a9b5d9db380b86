"""A briefing story's sentences each say something new: restatements of one fact are cut."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from bot.briefing.summary import extractive_summary
from bot.briefing.terms import terms
from bot.briefing.vectors import TfIdf
from bot.store.records import WindowArticle
from tests.corpus_helpers import prose

WHEN = datetime(2023, 10, 20, 9, tzinfo=UTC)


def _article(n: int, text: str) -> WindowArticle:
    return WindowArticle(n, f"Storm report {n}", text, None, f"Outlet {n}", WHEN, WHEN)


def test_three_wordings_of_one_fact_give_one_sentence() -> None:
    articles = [
        _article(
            1,
            "Storm Babet flooded the Derwent valley on Friday, forcing 300 families from "
            "their homes.",
        ),
        _article(2, "Some 300 Derwent households were evacuated as Babet's floodwater rose."),
        _article(3, "Babet: 300 Derwent families evacuated after the river burst its banks."),
    ]
    docs = [terms(f"{a.title} {a.text}") for a in articles]
    # The window's other stories: the story's own names are rare in it, as in a real window.
    tfidf = TfIdf(docs + [terms(prose(seed, 4)) for seed in range(40)])
    vectors = tfidf.matrix(docs)
    centroid = np.asarray(vectors.mean(axis=0), dtype=np.float32).ravel()
    centroid /= float(np.linalg.norm(centroid))
    summary = extractive_summary(
        articles, "Storm Babet floods Derwent valley", tfidf, centroid, 3, {}
    )
    assert len(summary) == 1, [s.text for s in summary]
