"""Dense retrieval: vectors written at ingest, recomputed when missing, searched by cosine."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.engine import Engine
from bot.models import ArticleIn
from bot.retrieval.embeddings import WordLlamaEmbedder
from tests.embedding_server import DIM, EmbeddingServer

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def server() -> Iterator[EmbeddingServer]:
    with EmbeddingServer() as srv:
        yield srv


def _engine(tmp_path: Path, **kw: object) -> Engine:
    return Engine(Settings(data_dir=tmp_path / "data", **kw))


def _vector_rows(engine: Engine) -> list[tuple]:
    return [
        tuple(r) for r in engine.store.db.query("SELECT chunk_id, model, vector FROM chunk_vectors")
    ]


ARTICLES = [
    ArticleIn(
        title="Storm floods coastal towns",
        text="Heavy rain and high tides flooded "
        "seaside towns overnight, and residents were evacuated from their homes.",
    ),
    ArticleIn(
        title="Central bank raises interest rates",
        text="The central bank lifted "
        "borrowing costs by a quarter point to fight inflation, its fifth rise this year.",
    ),
    ArticleIn(
        title="Striker breaks scoring record",
        text="The forward scored twice on Saturday to become the league's all-time top scorer.",
    ),
]


def test_wordllama_loads_offline_and_normalises() -> None:
    vectors = WordLlamaEmbedder().embed(["interest rates rise", "", "flooding in towns"])
    assert vectors.shape == (3, 256)
    assert np.allclose(np.linalg.norm(vectors[[0, 2]], axis=1), 1.0, atol=1e-5)
    assert not vectors[1].any()


def test_ingest_writes_one_float16_vector_per_chunk(tmp_path: Path) -> None:
    engine = _engine(tmp_path, retrieval="hybrid")
    engine.ensure_corpus()
    chunks = engine.stats().chunks
    rows = _vector_rows(engine)
    assert len(rows) == chunks > 1
    assert {r[1] for r in rows} == {"wordllama-l2_supercat-256"}
    assert all(len(r[2]) == 256 * 2 for r in rows)
    engine.close()


def test_bm25_mode_stores_no_vectors(tmp_path: Path) -> None:
    engine = _engine(tmp_path, retrieval="bm25")
    engine.ensure_corpus()
    assert _vector_rows(engine) == []
    assert engine.reindex() == 0
    engine.close()


def test_dense_mode_finds_a_paraphrase_and_still_abstains(tmp_path: Path) -> None:
    engine = _engine(tmp_path, retrieval="dense", auto_seed=False)
    engine.ingestor.ingest_articles(ARTICLES)
    top = engine.search("Why did borrowing costs go up?").passages[0]
    assert top.title == "Central bank raises interest rates"
    assert 0 < top.coverage < 1
    answer = engine.answer_extractive("Who won the 2018 World Cup?")
    assert answer.abstained
    engine.close()


def test_deleted_article_leaves_the_dense_index(tmp_path: Path) -> None:
    engine = _engine(tmp_path, retrieval="dense", auto_seed=False)
    report = engine.ingestor.ingest_articles(ARTICLES)
    assert engine.search("interest rates").passages[0].article_id == report.added_ids[1]
    engine.articles.delete(report.added_ids[1])
    ids = {p.article_id for p in engine.search("interest rates").passages}
    assert report.added_ids[1] not in ids
    engine.close()


def test_openai_endpoint_embeds_in_batches(tmp_path: Path, server: EmbeddingServer) -> None:
    engine = _engine(
        tmp_path,
        retrieval="hybrid",
        auto_seed=False,
        embeddings_base_url=server.base_url,
        embeddings_model="test-embed",
        embeddings_api_key="sk-test-123",
        embeddings_batch=2,
    )
    engine.ingestor.ingest_articles(ARTICLES)
    rows = _vector_rows(engine)
    assert len(rows) == 3 and {r[1] for r in rows} == {"openai:test-embed"}
    assert all(len(r[2]) == DIM * 2 for r in rows)
    assert [len(r["input"]) for r in server.requests] == [2, 1]
    assert server.auth[0] == "Bearer sk-test-123"
    top = engine.search("interest rates central bank").passages[0]
    assert top.title == "Central bank raises interest rates"
    engine.close()


def test_endpoint_failure_keeps_articles_and_reindex_fills_vectors(
    tmp_path: Path, server: EmbeddingServer
) -> None:
    settings = dict(
        retrieval="hybrid",
        auto_seed=False,
        embeddings_base_url=server.base_url,
        embeddings_model="test-embed",
    )
    engine = _engine(tmp_path, **settings)
    server.fail_status = 500
    report = engine.ingestor.ingest_articles(ARTICLES)
    assert report.added == 3
    assert _vector_rows(engine) == []
    assert engine.search("interest rates").passages[0].title.startswith("Central bank")
    server.fail_status = None
    assert engine.vectors is not None and engine.vectors.missing_count() == 3
    assert engine.reindex() == 3
    assert engine.vectors.missing_count() == 0
    engine.close()


def test_reindex_command_fills_vectors_for_a_bm25_built_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": str(REPO), "BRIEFBOT_DATA_DIR": str(data)}
    built = subprocess.run(
        [sys.executable, "-m", "bot", "stats"],
        env={**env, "BRIEFBOT_RETRIEVAL": "bm25"},
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    run = subprocess.run(
        [sys.executable, "-m", "bot", "reindex"],
        env={**env, "BRIEFBOT_RETRIEVAL": "hybrid"},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "still missing" in run.stdout and " 0 still missing" in run.stdout
    engine = Engine(Settings(data_dir=data, retrieval="hybrid"))
    assert len(_vector_rows(engine)) == engine.stats().chunks > 0
    engine.close()


def test_pooling_matches_wordllamas_own_embed() -> None:
    from bot.retrieval.embeddings import _wordllama_model, normalise

    texts = ["Interest rates rise", "Storm floods the coast, residents flee. " * 40, "x", ""]
    ours = WordLlamaEmbedder().embed(texts)
    theirs = normalise(_wordllama_model().embed(texts))
    assert np.allclose(ours, theirs, atol=1e-5)


def test_embedding_later_keeps_ingest_lexical_and_fills_at_first_search(tmp_path: Path) -> None:
    engine = _engine(tmp_path, retrieval="dense", auto_seed=False, embed_at_ingest=False)
    engine.ingestor.ingest_articles(ARTICLES)
    assert _vector_rows(engine) == []
    top = engine.search("Why did borrowing costs go up?").passages[0]
    assert top.title == "Central bank raises interest rates"
    assert len(_vector_rows(engine)) == 3
    engine.close()


def test_pgvector_finds_what_numpy_finds(tmp_path: Path, pg_url: str) -> None:
    """Dense retrieval on PostgreSQL ranks in the database (pgvector) and agrees with the
    in-memory numpy path on SQLite."""
    results = []
    for url in (None, pg_url):
        engine = _engine(tmp_path / ("pg" if url else "lite"), retrieval="dense", database_url=url)
        engine.ingestor.ingest_articles(ARTICLES)
        assert engine.hybrid.dense is not None
        hits = engine.hybrid.dense.search("flooding near the sea", 3)
        results.append(([cid for cid, _ in hits], [score for _, score in hits]))
        assert engine.store.vectors.in_database is (url is not None)
        assert len(engine.hybrid.dense.ids) == (0 if url else 3)  # no matrix held with pgvector
        engine.close()
    (lite_ids, lite_scores), (pg_ids, pg_scores) = results
    assert lite_ids == pg_ids and len(lite_ids) == 3
    assert np.allclose(lite_scores, pg_scores, atol=2e-3)
