"""The engine's retriever: fusion, recency, spelling variants, coverage for abstention."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.answer.confidence import confidence
from bot.answer.evidence import select_evidence
from bot.answer.questions import question_facts
from bot.config import Settings
from bot.engine import Engine
from bot.models import ArticleIn
from bot.retrieval.hybrid import rrf
from bot.retrieval.variants import expand
from tests.support.passages import make_passage

NOW = datetime(2023, 10, 20, 12, 0, tzinfo=UTC)


def _at(day: int) -> datetime:
    return datetime(2023, 10, day, 9, 0, tzinfo=UTC)


def _engine(tmp_path: Path, mode: str = "bm25", **kw: object) -> Engine:
    return Engine(Settings(data_dir=tmp_path / "data", auto_seed=False, retrieval=mode, **kw))


HARBOUR = [
    ArticleIn(
        title="Harbour bridge closed",
        text="The harbour bridge was closed after a ship struck a pillar, officials said.",
        published_at=_at(12),
        url="https://x/1",
    ),
    ArticleIn(
        title="Harbour bridge reopens",
        text="The harbour bridge reopened to traffic after engineers inspected the pillar.",
        published_at=_at(19),
        url="https://x/2",
    ),
    ArticleIn(
        title="Harbour bridge repairs",
        text="Repairs to the harbour bridge pillar will cost millions, the council said.",
        published_at=_at(16),
        url="https://x/3",
    ),
]


def test_rrf_sums_reciprocal_ranks() -> None:
    fused = rrf([[(1, 9.0), (2, 5.0), (3, 1.0)], [(3, 0.9), (1, 0.2)]], k=10)
    assert fused[1] == pytest.approx(1 / 11 + 1 / 12)
    assert fused[3] == pytest.approx(1 / 13 + 1 / 11)
    assert fused[2] == pytest.approx(1 / 12)
    weighted = rrf([[(1, 1.0)], [(2, 1.0)]], k=10, weights=[1.0, 0.5])
    assert weighted[1] > weighted[2]


def test_rrf_gives_equal_scores_the_same_rank() -> None:
    fused = rrf([[(1, 3.0), (2, 3.0), (3, 1.0)]], k=10)
    assert fused[1] == fused[2] == pytest.approx(1 / 11)
    assert fused[3] == pytest.approx(1 / 13)


@pytest.mark.parametrize("mode", ["bm25", "hybrid"])
def test_yesterday_filters_to_that_day(tmp_path: Path, mode: str) -> None:
    engine = _engine(tmp_path, mode, recency_reference="now")
    engine.ingestor.ingest_articles(HARBOUR)
    result = engine.hybrid.search("What happened to the harbour bridge yesterday?", now=NOW)
    assert {p.title for p in result.passages} == {"Harbour bridge reopens"}
    engine.close()


def test_latest_prefers_the_newest_article(tmp_path: Path) -> None:
    engine = _engine(tmp_path, recency_reference="now")
    engine.ingestor.ingest_articles(HARBOUR)
    latest = engine.hybrid.search("latest on the harbour bridge pillar", now=NOW).passages
    assert latest[0].title == "Harbour bridge reopens"
    assert [p.published_at for p in latest][:3] == [_at(19), _at(16), _at(12)]
    engine.close()


def test_equal_scores_break_ties_towards_newer(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    engine.ingestor.ingest_articles(
        [
            ArticleIn(
                title="Ferry strike", text="Ferry crews walk out today.", published_at=_at(3)
            ),
            ArticleIn(
                title="Ferry strike", text="Ferry crews walk out again.", published_at=_at(9)
            ),
        ]
    )
    passages = engine.search("ferry strike").passages
    assert passages[0].published_at == _at(9)
    engine.close()


def test_stale_corpus_uses_its_newest_article_as_today(tmp_path: Path) -> None:
    engine = _engine(tmp_path)  # recency_reference="auto"
    engine.ingestor.ingest_articles(HARBOUR)
    assert engine.hybrid.reference_time(NOW.replace(year=2026)) == _at(19)
    assert engine.hybrid.reference_time(NOW) == NOW
    engine.close()


def test_a_date_in_the_question_boosts_articles_from_that_day(tmp_path: Path) -> None:
    engine = _engine(tmp_path, recency_reference="now")
    engine.ingestor.ingest_articles(HARBOUR)
    top = engine.hybrid.search("harbour bridge pillar on Oct 16", now=NOW).passages[0]
    assert top.title == "Harbour bridge repairs"
    engine.close()


def test_no_match_in_the_window_falls_back_to_newest_matches(tmp_path: Path) -> None:
    engine = _engine(tmp_path, recency_reference="now")
    engine.ingestor.ingest_articles(HARBOUR)
    result = engine.hybrid.search("harbour bridge in the past 2 hours", now=NOW)
    assert result.passages and result.passages[0].title == "Harbour bridge reopens"
    engine.close()


VARIANTS = [
    ArticleIn(
        title="U.N. assembly vote",
        text="The U.N. General Assembly backed the truce resolution by a wide margin.",
    ),
    ArticleIn(
        title="Casualty count rises",
        text="Officials counted 3785 casualties in the region by Tuesday.",
    ),
    ArticleIn(
        title="Cleric speaks",
        text="Grand Ayatollah al-Sistani's office condemned the attacks on the Ain al-Asad base.",
    ),
]


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("What did the UN General Assembly back?", "U.N. assembly vote"),
        ("How were 3,785 casualties counted?", "Casualty count rises"),
        ("What did Sistani's office condemn?", "Cleric speaks"),
        ("What happened at al Asad?", "Cleric speaks"),
        ("What did the Al-Sistani office say?", "Cleric speaks"),
    ],
)
def test_spelling_variants_match_and_count_as_covered(
    tmp_path: Path, question: str, title: str
) -> None:
    engine = _engine(tmp_path)
    engine.ingestor.ingest_articles(VARIANTS)
    top = engine.search(question).passages[0]
    assert top.title == title
    assert top.coverage >= 0.6
    answer = engine.answer_extractive(question)
    assert not answer.abstained
    engine.close()


def test_variant_groups_count_once_in_coverage() -> None:
    _, query = expand("UN vote")
    query.weights = {s: 1.0 for s in query.stems}
    assert query.coverage({"un", "vote"}) == 1.0
    assert query.coverage({"u", "n", "vote"}) == 1.0
    assert query.coverage({"vote"}) == pytest.approx(0.5)


def test_a_question_that_is_only_a_time_answers_with_that_days_leads(tmp_path: Path) -> None:
    engine = _engine(tmp_path, recency_reference="now")
    engine.ingestor.ingest_articles(HARBOUR)
    result = engine.hybrid.search("What happened yesterday?", now=NOW)
    assert [p.title for p in result.passages] == ["Harbour bridge reopens"]
    week = engine.hybrid.search("What happened this week?", now=NOW)
    facts = question_facts("What happened this week?")
    evidence = select_evidence(week.query, facts, week.passages, 4)
    assert confidence(evidence.signals) >= engine.settings.answers.abstain_threshold
    titles = {s.passage.title for s in evidence.sentences}
    assert titles == {"Harbour bridge reopens", "Harbour bridge repairs"}
    engine.close()


SUMMITS = [
    ArticleIn(
        title="Summit in Germany",
        text="G7 leaders met in Germany for the annual G7 summit on trade.",
        published_at=datetime(2022, 6, 27, 9, 0, tzinfo=UTC),
        url="https://x/g7-2022",
    ),
    ArticleIn(
        title="Summit in Japan",
        text="G7 leaders met in Japan for the annual summit on trade.",
        published_at=_at(18),
        url="https://x/g7-2023",
    ),
    ArticleIn(
        title="Ports strike",
        text="Dock workers at three ports began a strike over pay on Monday.",
        published_at=_at(17),
        url="https://x/ports",
    ),
]


@pytest.mark.parametrize("decay", [0.0, 0.3])
def test_a_newer_article_leads_an_older_one_that_matches_little_better(
    tmp_path: Path, decay: float
) -> None:
    engine = _engine(tmp_path, recency_reference="now", recency_decay=decay)
    engine.ingestor.ingest_articles(SUMMITS)
    top = engine.hybrid.search("Where did G7 leaders meet for the annual summit?", now=NOW)
    titles = [p.title for p in top.passages]
    # the older article names "G7" twice: by relevance alone it leads
    assert titles[:2] == (
        ["Summit in Japan", "Summit in Germany"]
        if decay
        else ["Summit in Germany", "Summit in Japan"]
    )
    engine.close()


def test_an_old_article_that_matches_clearly_better_still_leads(tmp_path: Path) -> None:
    engine = _engine(tmp_path, recency_reference="now", recency_decay=0.3)
    engine.ingestor.ingest_articles(SUMMITS)
    question = "When did G7 leaders meet in Germany for the annual summit?"
    top = engine.hybrid.search(question, now=NOW).passages
    assert top[0].title == "Summit in Germany"
    engine.close()


@pytest.mark.parametrize("age_weight", [0.0, -0.3])
def test_the_answer_leads_with_the_newer_source_when_both_match(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, age_weight: float
) -> None:
    from bot.answer import evidence

    monkeypatch.setitem(evidence.SENTENCE_WEIGHTS, "age", age_weight)
    engine = _engine(tmp_path, recency_reference="now", recency_decay=0.0)
    engine.ingestor.ingest_articles(SUMMITS)
    question = "Where did G7 leaders meet for the annual summit?"
    result = engine.hybrid.search(question, now=NOW)
    assert result.passages[0].title == "Summit in Germany"  # relevance alone
    chosen = select_evidence(
        result.query, question_facts(question), result.passages, 4, reference=result.reference
    )
    expected = "Summit in Japan" if age_weight else "Summit in Germany"
    assert chosen.sentences[0].passage.title == expected
    engine.close()


@pytest.mark.parametrize("days", [0, 3, 14, 15, 40, 179, 180, 400, 4000])
def test_the_ranking_and_the_evidence_share_one_age_scale(days: int) -> None:
    from datetime import timedelta

    import numpy as np

    from bot.retrieval.recency import Recency, age

    published = NOW - timedelta(days=days)
    passage = make_passage("x", published_at=published, ingested_at=NOW)
    recency = Recency(NOW, 0.3)
    expected = 1 + 0.3 * age(passage, NOW)
    assert recency.divisor(passage) == pytest.approx(expected)
    assert recency.divisors(np.array([published.timestamp()]))[0] == pytest.approx(expected)
    assert 0.0 <= age(passage, NOW) <= 1.0
    assert (age(passage, NOW) == 0.0) == (days <= 14)
