"""The postings index: exact BM25, and never out of step with the store it follows
(ingest in another engine, deletes, reused ids, a damaged or foreign index on disk)."""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.engine import Engine
from bot.ingest.chunker import chunk_text
from bot.models import ArticleIn, SearchFilters
from bot.retrieval.bm25 import COORD, K1, B
from bot.retrieval.query import analyze
from bot.store.articles import PlannedArticle, dedupe_keys
from bot.store.postings import Segment
from bot.text.words import stems, word_count

WORDS = (
    "harbour bridge pillar ship council minister election vote storm flood river power grid "
    "strike union wage court judge ruling border troops drone missile port oil price market "
    "bank rate inflation school teacher hospital nurse vaccine virus"
).split()
START = datetime(2024, 3, 1, tzinfo=UTC)


def corpus(n: int, seed: int = 7) -> list[ArticleIn]:
    rng = random.Random(seed)
    return [
        ArticleIn(
            title=" ".join(rng.choices(WORDS, k=rng.randint(2, 5))).capitalize(),
            text=" ".join(rng.choices(WORDS, k=rng.randint(8, 40))) + ".",
            url=f"https://example.test/{i}",
            published_at=START + timedelta(hours=i),
        )
        for i in range(n)
    ]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", auto_seed=False)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    eng = Engine(settings)
    yield eng
    eng.close()


def reference_bm25(engine: Engine, question: str, title_weight: float) -> list[tuple[int, float]]:
    """BM25 computed the slow way from every stored passage's text, best first."""
    rows = engine.store.search.index_rows(0, 10_000)
    query = analyze(question).stems
    lengths = {r.chunk_id: word_count(r.title) + word_count(r.text) for r in rows}
    avgdl = sum(lengths.values()) / len(lengths)
    counts = {r.chunk_id: (Counter(stems(r.title)), Counter(stems(r.text))) for r in rows}
    n = len(rows)
    idfs = {}
    for s in query:
        df = max(sum(1 for t, b in counts.values() if s in t or s in b), 1)
        idfs[s] = math.log(1 + (n - df + 0.5) / (df + 0.5))
    scored = []
    for r in rows:
        title_tf, text_tf = counts[r.chunk_id]
        score = held = 0.0
        for s in query:
            tf = title_weight * title_tf[s] + text_tf[s]
            norm = K1 * (1 - B + B * max(lengths[r.chunk_id], 1) / avgdl)
            score += idfs[s] * tf * (K1 + 1) / (tf + norm)
            held += 1 if tf else 0
        score *= (held / len(query)) ** COORD  # Lucene's coord
        if score > 0:
            when = datetime.fromisoformat(r.published_at or r.ingested_at).timestamp()
            scored.append((-score, -when, r.chunk_id))
    scored.sort()
    return [(cid, -neg) for neg, _, cid in scored]


@pytest.mark.parametrize(
    "question", ["harbour bridge pillar", "storm flood river power", "vaccine"]
)
def test_scores_are_exact_bm25_over_every_passage(engine: Engine, question: str) -> None:
    engine.ingestor.ingest_articles(corpus(60))
    result = engine.retriever.search(question, k=10)
    expected = reference_bm25(engine, question, engine.settings.retrieval.title_weight)[:10]
    assert [p.chunk_id for p in result.passages] == [cid for cid, _ in expected]
    for passage, (_, score) in zip(result.passages, expected, strict=True):
        assert passage.score == pytest.approx(score, rel=1e-9)


def test_date_filters_apply_to_the_index(engine: Engine) -> None:
    engine.ingestor.ingest_articles(corpus(40))
    window = SearchFilters(since=START + timedelta(hours=10), until=START + timedelta(hours=20))
    found = engine.retriever.search("harbour bridge storm", k=40, filters=window).passages
    assert found
    assert all(window.since <= p.published_at <= window.until for p in found)  # type: ignore[operator]


def test_another_engine_sees_what_one_ingests(settings: Settings) -> None:
    reader, writer = Engine(settings), Engine(settings)
    try:
        writer.ingestor.ingest_articles(corpus(20))
        assert reader.search("harbour bridge").passages
        writer.ingestor.ingest_articles(
            [ArticleIn(title="Zeppelin lands", text="A zeppelin landed at the fairground.")]
        )
        [hit] = reader.search("zeppelin fairground", k=3).passages
        assert hit.title == "Zeppelin lands"
    finally:
        reader.close()
        writer.close()


def test_deleted_articles_leave_the_index(engine: Engine) -> None:
    engine.ingestor.ingest_articles(
        [*corpus(10), ArticleIn(title="Walrus escapes", text="A walrus escaped from the zoo.")]
    )
    assert engine.search("walrus zoo").passages
    [removed] = engine.remove_articles(["https://example.test/3"])
    assert removed.removed
    assert engine.search("walrus zoo").passages
    walrus = engine.search("walrus").passages[0].article_id
    engine.remove_articles([str(walrus)])
    assert engine.search("walrus").passages == []
    assert engine.store.postings.view.documents == engine.stats().chunks


def test_a_reused_id_with_other_text_is_noticed(engine: Engine) -> None:
    engine.ingestor.ingest_articles(corpus(5))
    engine.ingestor.ingest_articles([ArticleIn(title="Walrus", text="A walrus escaped today.")])
    walrus = engine.search("walrus").passages[0]
    engine.remove_articles([str(walrus.article_id)])
    # SQLite hands the highest id out again: same id, other text
    engine.ingestor.ingest_articles([ArticleIn(title="Penguin", text="A penguin escaped today.")])
    assert engine.search("penguin").passages[0].chunk_id == walrus.chunk_id
    assert engine.search("walrus").passages == []


def _index_dir(settings: Settings) -> Path:
    return settings.database.with_name(settings.database.name + ".postings")


def test_the_index_is_written_and_reused(settings: Settings) -> None:
    with_index = Engine(settings)
    with_index.ingestor.ingest_articles(corpus(30))
    with_index.close()
    manifest = json.loads((_index_dir(settings) / "manifest.json").read_text())
    assert manifest["segments"]
    again = Engine(settings)
    try:
        assert again.store.postings.view.documents == 30
        assert again.store.postings.sync() is False  # nothing to catch up
    finally:
        again.close()


@pytest.mark.parametrize("damage", ["truncate", "manifest", "foreign"])
def test_a_damaged_or_foreign_index_is_rebuilt(
    settings: Settings, tmp_path: Path, damage: str
) -> None:
    first = Engine(settings)
    first.ingestor.ingest_articles(corpus(30))
    expected = [p.chunk_id for p in first.search("harbour bridge", k=10).passages]
    first.close()
    folder = _index_dir(settings)
    if damage == "truncate":
        segment = next(p for p in folder.iterdir() if p.is_dir())
        (segment / "pdoc.npy").write_bytes((segment / "pdoc.npy").read_bytes()[:100])
    elif damage == "manifest":
        (folder / "manifest.json").write_text("{not json")
    else:  # the index of another store with other articles, copied over this one's
        other = Settings(data_dir=tmp_path / "other", auto_seed=False)
        stranger = Engine(other)
        stranger.ingestor.ingest_articles(corpus(30, seed=99))
        stranger.close()
        for child in folder.iterdir():
            if child.is_dir():
                for f in child.iterdir():
                    f.unlink()
                child.rmdir()
        for child in _index_dir(other).iterdir():
            target = folder / child.name
            if child.is_dir():
                target.mkdir()
                for f in child.iterdir():
                    (target / f.name).write_bytes(f.read_bytes())
            elif child.name != "lock":
                target.write_bytes(child.read_bytes())
    reopened = Engine(settings)
    try:
        assert [p.chunk_id for p in reopened.search("harbour bridge", k=10).passages] == expected
        assert reopened.store.postings.view.documents == reopened.stats().chunks
    finally:
        reopened.close()


def test_many_batches_merge_into_few_segments(settings: Settings) -> None:
    eng = Engine(settings.updated(ingest_batch=7))
    try:
        eng.ingestor.ingest_articles(corpus(120))
        view = eng.store.postings.view
        assert view.documents == 120
        assert len(view.segments) <= 4
        expected = reference_bm25(eng, "court judge ruling", eng.settings.retrieval.title_weight)
        found = eng.retriever.search("court judge ruling", k=5).passages
        assert [p.chunk_id for p in found] == [cid for cid, _ in expected[:5]]
    finally:
        eng.close()


def test_large_merges_written_straight_to_disk_keep_the_index_exact(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.store.postings.PERSIST_ROWS", 12)
    monkeypatch.setattr("bot.store.postings.MERGE_CHUNK", 9)
    eng = Engine(settings.updated(ingest_batch=5))
    try:
        eng.ingestor.ingest_articles(corpus(120))
        view = eng.store.postings.view
        assert view.documents == 120
        assert any(s.name is not None for s in view.segments)  # merged on disk
        question = "court judge ruling"
        expected = reference_bm25(eng, question, eng.settings.retrieval.title_weight)
        found = [p.chunk_id for p in eng.retriever.search(question, k=5).passages]
        assert found == [cid for cid, _ in expected[:5]]
    finally:
        eng.close()
    manifest = json.loads((_index_dir(settings) / "manifest.json").read_text())
    on_disk = {p.name for p in _index_dir(settings).iterdir() if p.is_dir()}
    assert on_disk == set(manifest["segments"])  # no orphan folders left
    again = Engine(settings)
    try:
        assert again.store.postings.sync() is False  # the written index is the store's
        found = [p.chunk_id for p in again.retriever.search(question, k=5).passages]
        assert found == [cid for cid, _ in expected[:5]]
    finally:
        again.close()


def test_a_late_commit_below_the_highest_id_is_found(settings: Settings) -> None:
    """Another instance's transaction commits passages with lower ids after higher ones (a
    server database hands ids out before commit), here together with a delete, so the
    passage count alone does not change."""
    writer, reader = Engine(settings), Engine(settings)
    try:
        writer.ingestor.ingest_articles(corpus(3))
        gap = writer.articles.find_by_url("https://example.test/1")
        removed = writer.articles.find_by_url("https://example.test/2")
        assert gap is not None and removed is not None
        writer.remove_articles([str(gap)])
        reader.store.postings.sync()
        assert reader.store.postings.view.documents == 2
        writer.remove_articles([str(removed)])
        late = ArticleIn(title="Zeppelin", text="A zeppelin landed at the fairground.")
        with writer.store.transaction():
            writer.articles.insert_planned(
                [PlannedArticle(gap, late, chunk_text(late.text), dedupe_keys(late), [gap])]
            )
        assert writer.stats().chunks == 2
        [hit] = reader.search("zeppelin fairground", k=3).passages
        assert hit.chunk_id == gap
        everything = reader.retriever.search(" ".join(WORDS), k=10).passages
        assert {p.article_id for p in everything} == {1}  # not the deleted one
    finally:
        reader.close()
        writer.close()


def test_an_ingest_hands_its_batch_to_the_index_only_when_it_matches_the_store(
    settings: Settings,
) -> None:
    """The ingesting engine indexes its committed batch from the tokens it wrote with, unless
    another writer committed meanwhile: then it reads the store. Either way its index ends
    equal to the store (fingerprint) and ranks as a fresh index rebuilt from it."""
    first, second = Engine(settings), Engine(settings)
    try:
        first.ingestor.ingest_articles(corpus(30))
        view = first.store.postings.view
        state = first.store.search.index_state()
        assert (
            (view.documents, view.fingerprint)
            == (state.chunks, state.id_hash)
            == (30, view.fingerprint)
        )
        second.ingestor.ingest_articles(
            [ArticleIn(title="Zeppelin lands", text="A zeppelin landed at the fairground.")]
        )
        first.ingestor.ingest_articles(
            [ArticleIn(title="Airship show", text="An airship circled the harbour bridge.")]
        )
        view, state = first.store.postings.view, first.store.search.index_state()
        assert (view.documents, view.fingerprint) == (state.chunks, state.id_hash)
        assert view.documents == 32
        [hit] = first.retriever.search("zeppelin fairground", k=3).passages
        assert hit.title == "Zeppelin lands"
    finally:
        first.close()
        second.close()
    rebuilt_settings = settings.updated(store={"index_dir": settings.store.data_dir / "rebuilt"})
    rebuilt, again = Engine(rebuilt_settings), Engine(settings)
    try:
        for question in ("harbour bridge airship", "court judge ruling", "zeppelin"):
            ours = [
                (p.chunk_id, round(p.score, 9)) for p in again.retriever.search(question).passages
            ]
            fresh = [
                (p.chunk_id, round(p.score, 9)) for p in rebuilt.retriever.search(question).passages
            ]
            assert ours == fresh and ours
    finally:
        rebuilt.close()
        again.close()


def test_common_terms_kept_between_questions_stay_exact_as_the_store_changes(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.retrieval.bm25.CACHE_MIN_POSTINGS", 1)  # every term is common
    title_weight = engine.settings.retrieval.title_weight
    question = "storm flood river power"

    def assert_exact() -> None:
        result = engine.retriever.search(question, k=10)
        expected = reference_bm25(engine, question, title_weight)[:10]
        assert [(p.chunk_id, pytest.approx(p.score, rel=1e-9)) for p in result.passages] == [
            (cid, score) for cid, score in expected
        ]

    engine.ingestor.ingest_articles(corpus(40))
    assert_exact()
    assert engine.retriever._common[1], "the terms were kept"
    assert_exact()  # from the kept parts
    before = engine.stats().chunks
    more = [
        a.model_copy(update={"url": f"https://example.test/more/{i}"})
        for i, a in enumerate(corpus(30, seed=8))
    ]
    engine.ingestor.ingest_articles(more)  # new rows, another average length
    assert engine.stats().chunks > before
    assert_exact()
    engine.remove_articles(["https://example.test/5"])
    assert_exact()


def test_a_segment_just_written_is_mapped_without_reading_its_postings(
    settings: Settings, tmp_path: Path
) -> None:
    """The writer maps what it wrote without the full check (which reads every posting);
    a segment read back later is checked."""
    eng = Engine(settings)
    try:
        eng.ingestor.ingest_articles(corpus(30))
        [written] = [s for s in eng.store.postings.view.segments if s.name]
        assert isinstance(written.pdoc, np.ndarray) and written.pdoc.size > 0
        folder = tmp_path / "damaged"
        folder.mkdir()
        for child in (eng.store.index_dir / written.name).iterdir():
            (folder / child.name).write_bytes(child.read_bytes())
        np.save(folder / "pdoc.npy", np.full(written.pdoc.size, 10**6, dtype=np.int32))
        assert Segment.read(folder, check=False).pdoc.size == written.pdoc.size
        with pytest.raises(ValueError, match="out of range"):
            Segment.read(folder)
    finally:
        eng.close()


@pytest.mark.parametrize("weak_hash", [False, True])
def test_terms_looked_up_together_equal_each_looked_up_alone(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, weak_hash: bool
) -> None:
    """One run for several terms (the search's look-up) holds, term after term, exactly each
    term's postings across segments, without deleted rows; terms found nowhere are empty."""
    if weak_hash:  # many terms share a hash: the look-up must still tell them apart
        monkeypatch.setattr("bot.store.postings.term_hash", lambda term: len(term) % 3)
    # (segments whose terms share hashes are not merged here: one segment then)
    eng = Engine(settings.updated(ingest_batch=200 if weak_hash else 9))
    try:
        eng.ingestor.ingest_articles(corpus(80))
        eng.remove_articles(["https://example.test/4", "https://example.test/33"])
        eng.retriever.search("storm")  # the index catches up with the deletes
        view = eng.store.postings.view
        assert len(view.segments) >= (1 if weak_hash else 2) and not view.live.all()
        terms = [*stems("harbour storm walrus vote flood rate"), "zzz"]
        batch, offsets = view.postings_of(terms)
        assert len(offsets) == len(terms) + 1
        for j, term in enumerate(terms):
            run = slice(offsets[j], offsets[j + 1])
            alone = view.postings(term)
            if alone is None:
                assert run.stop == run.start
                continue
            assert np.array_equal(batch.rows[run], alone.rows)
            assert np.array_equal(batch.title_tf[run], alone.title_tf)
            assert np.array_equal(batch.text_tf[run], alone.text_tf)
            assert view.live[batch.rows[run]].all()
    finally:
        eng.close()


def test_questions_searched_at_once_in_threads_rank_as_one_at_a_time(engine: Engine) -> None:
    """Threads share the retriever's scratch arrays: each question takes its own."""
    from concurrent.futures import ThreadPoolExecutor

    engine.ingestor.ingest_articles(corpus(60))
    questions = ["harbour bridge", "storm flood river", "court judge", "oil price market"] * 5

    def ranked(question: str) -> list[tuple[int, float]]:
        return [(p.chunk_id, p.score) for p in engine.retriever.search(question, k=8).passages]

    alone = [ranked(q) for q in questions]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(ranked, questions))
    assert together == alone and all(alone)
    assert len(engine.retriever._spare) <= 4
