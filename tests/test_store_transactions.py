"""An article is written or removed as a whole: row, chunks, index rows and counters."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_helpers import assert_consistent, prose

from bot.config import Settings
from bot.engine import Engine
from bot.ingest.chunker import chunk_text
from bot.models import ArticleIn, Chunk
from bot.store import Database, StoreError


def _article(i: int) -> ArticleIn:
    return ArticleIn(title=f"Story {i} zebra{i}", text=f"{prose(i, 20)} Zebra{i} ends it.")


def test_pragmas(engine: Engine) -> None:
    assert engine.store.db.query("PRAGMA journal_mode")[0][0] == "wal"
    assert engine.store.db.query("PRAGMA foreign_keys")[0][0] == 1


def test_failed_chunk_insert_rolls_back_the_whole_article(engine: Engine) -> None:
    good = _article(1)
    engine.articles.insert(good, chunk_text(good.text))
    before = engine.store.db.query("SELECT chunks, words FROM corpus_stats")[0]

    bad = _article(2)
    chunks = chunk_text(bad.text)
    assert len(chunks) >= 2
    clash = [chunks[0], Chunk(**{**chunks[1].model_dump(), "ordinal": 0})]  # UNIQUE violation
    with pytest.raises(Exception, match="UNIQUE"):
        engine.articles.insert(bad, clash)

    assert engine.articles.count() == 1
    assert engine.store.db.query("SELECT chunks, words FROM corpus_stats")[0] == before
    assert engine.search("zebra2").passages == []
    assert_consistent(engine.settings.database)


def test_failure_inside_a_batch_keeps_the_other_articles(engine: Engine) -> None:
    """A savepoint per article: one failing insert does not undo its batch neighbours."""
    with engine.store.db.transaction():
        first = _article(3)
        engine.articles.insert(first, chunk_text(first.text))
        bad = _article(4)
        chunks = chunk_text(bad.text)
        with pytest.raises(Exception, match="UNIQUE"):
            engine.articles.insert(bad, [chunks[0], chunks[0]])
        last = _article(5)
        engine.articles.insert(last, chunk_text(last.text))
    titles = {a.title for a in engine.articles.list_articles()}
    assert titles == {"Story 3 zebra3", "Story 5 zebra5"}
    assert_consistent(engine.settings.database)


def test_an_exception_rolls_back_the_outer_transaction(engine: Engine) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), engine.store.db.transaction():
        a = _article(6)
        engine.articles.insert(a, chunk_text(a.text))
        raise Boom
    assert engine.articles.count() == 0
    assert engine.stats().chunks == 0
    assert_consistent(engine.settings.database)


def test_delete_removes_chunks_index_rows_and_counts(engine: Engine) -> None:
    ids = []
    for i in (7, 8):
        a = _article(i)
        ids.append(engine.articles.insert(a, chunk_text(a.text)))
    assert engine.search("zebra7").passages
    assert engine.articles.delete(ids[0]) is True
    assert engine.articles.delete(ids[0]) is False
    assert engine.search("zebra7").passages == []
    assert engine.search("zebra8").passages
    counts = assert_consistent(engine.settings.database)
    assert counts == {"articles": 1, "chunks": engine.stats().chunks}


def test_data_survives_reopening(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d")
    engine = Engine(settings)
    report = engine.ingestor.ingest_articles([_article(9), _article(10)])
    assert report.added == 2
    engine.close()
    reopened = Engine(settings)
    try:
        assert reopened.stats().articles == 2
        assert reopened.search("zebra10").passages[0].title == "Story 10 zebra10"
    finally:
        reopened.close()


def test_in_memory_database_works(tmp_path: Path) -> None:
    db = Database(":memory:")
    engine = Engine(Settings(data_dir=tmp_path / "unused"), db=db)
    try:
        engine.ingestor.ingest_articles([_article(11)])
        assert engine.search("zebra11").passages
    finally:
        engine.close()


def test_a_batch_that_fails_at_once_is_written_one_article_at_a_time(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(planned: object) -> None:
        raise StoreError("database error: disk I/O error")

    monkeypatch.setattr(engine.articles, "insert_planned", refuse)
    report = engine.ingestor.ingest_articles([_article(6), _article(7), _article(6)])
    assert (report.added, report.duplicates) == (2, 1)
    assert {a.title for a in engine.articles.list_articles()} == {
        "Story 6 zebra6",
        "Story 7 zebra7",
    }
    assert engine.search("zebra7").passages
    assert_consistent(engine.settings.database)
