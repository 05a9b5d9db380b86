"""Grouping primitives: average link does not chain; time separates look-alike stories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from bot.briefing.grouping import average_link, group_stories
from bot.briefing.terms import article_terms
from bot.briefing.vectors import TfIdf
from bot.store.records import WindowArticle
from bot.text.plain import plain_text


def test_average_link_does_not_chain_like_single_link() -> None:
    sim = np.array(
        [
            [1.0, 0.9, 0.0, 0.0],
            [0.9, 1.0, 0.3, 0.0],
            [0.0, 0.3, 1.0, 0.8],
            [0.0, 0.0, 0.8, 1.0],
        ],
        dtype=np.float32,
    )
    assert average_link(sim, 0.25, np.ones(4)) == [[0, 1], [2, 3]]
    # between the two pairs the average is 0.3 / 4 = 0.075: joined only below that
    assert average_link(sim, 0.1, np.ones(4)) == [[0, 1], [2, 3]]
    assert average_link(sim, 0.07, np.ones(4)) == [[0, 1, 2, 3]]
    assert average_link(sim, 0.95, np.ones(4)) == [[0], [1], [2], [3]]


def _article(i: int, title: str, when: datetime) -> WindowArticle:
    text = f"{title}. Officials gave more details on {title.lower()} on the day."
    return WindowArticle(i, title, text, None, f"outlet{i}", when, when)


def _stories(articles: list[WindowArticle], hours: float) -> list[list[int]]:
    docs = [article_terms(a.title, a.text) for a in articles]
    vectors = TfIdf(docs).matrix(docs)
    groups = group_stories(
        articles, vectors, duplicate_similarity=0.8, story_similarity=0.22, story_hours=hours
    )
    return [g.members for g in groups]


def test_look_alike_reports_far_apart_in_time_stay_separate() -> None:
    t0 = datetime(2023, 10, 15, 8, tzinfo=UTC)
    articles = [
        _article(1, "Storm Babet floods eastern Scotland", t0),
        _article(2, "Storm Babet floods eastern Scotland again", t0 + timedelta(hours=50)),
        _article(3, "Chip export rules tightened", t0 + timedelta(hours=1)),
        _article(4, "Museum reopens after renovation", t0 + timedelta(hours=2)),
    ]
    assert _stories(articles, hours=36) == [[0], [1], [2], [3]]
    assert _stories(articles, hours=72) == [[0, 1], [2], [3]]


def test_feed_html_is_reduced_to_sentences() -> None:
    raw = "<p>First point &amp; more.</p><ul><li>Second item</li></ul><img src='x'>Tail"
    assert plain_text(raw).split("\n") == ["First point & more.", "Second item", "Tail"]


def test_a_story_is_on_topic_when_a_third_of_its_articles_mention_it() -> None:
    from bot.briefing.terms import terms
    from bot.briefing.topics import keyword_stems, matches

    wanted = keyword_stems(["Hezbollah", "Gaza Strip"])
    on = set(terms("Hezbollah fighters fired rockets"))
    strip = set(terms("Aid trucks waited at the border of the Gaza Strip"))
    off = set(terms("A hostage video was released"))
    assert not matches([on, off, off, off, off], wanted)
    assert matches([on, off, strip, off, off], wanted)
    assert matches([on], wanted) and not matches([off], wanted)
    assert not matches([set(terms("Gaza city"))], wanted)  # "Gaza Strip" needs both words
    assert matches([off], [])


def _greedy_average_link(sim: np.ndarray, threshold: float) -> list[list[int]]:
    """Textbook agglomeration: merge the closest pair while its average similarity holds."""
    clusters = [[i] for i in range(len(sim))]

    def link(a: list[int], b: list[int]) -> float:
        return float(sim[np.ix_(a, b)].mean())

    while len(clusters) > 1:
        best, pair = max(
            (link(a, b), (x, y))
            for x, a in enumerate(clusters)
            for y, b in enumerate(clusters)
            if x < y
        )
        if best < threshold:
            break
        x, y = pair
        clusters[x] = sorted(clusters[x] + clusters.pop(y))
    return sorted(clusters)


def test_average_link_matches_textbook_agglomeration_with_isolated_items() -> None:
    rng = np.random.default_rng(7)
    for trial in range(40):
        n = int(rng.integers(1, 14))
        sim = rng.random((n, n)) ** 3  # mostly weak links: many items are never linked
        sim = (sim + sim.T) / 2
        np.fill_diagonal(sim, 1.0)
        threshold = float(rng.uniform(0.2, 0.6))
        expected = _greedy_average_link(sim, threshold)
        assert average_link(sim, threshold, np.ones(n)) == expected, trial


def test_tfidf_matrix_rows_are_the_weights_of_each_document() -> None:
    docs = [["a", "b", "b", "c"], ["b", "d"], [], ["e"], ["a", "a", "d", "z"]]
    tfidf = TfIdf(docs)
    matrix = tfidf.matrix(docs).toarray()
    for row, doc in zip(matrix, docs, strict=True):
        expected = np.zeros(len(tfidf.columns))
        cols, norm = tfidf.weights(doc)
        for col, weight in cols.items():
            expected[col] = weight / norm
        assert np.allclose(row, expected, atol=1e-7)
    assert np.allclose(tfidf.matrix([["q", "b"]]).toarray()[0], tfidf.vector(["q", "b"]))
