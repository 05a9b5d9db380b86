"""Old databases are upgraded in place; newer ones are refused with a clear message."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from corpus_helpers import assert_consistent, main_in_process, prose

from bot.config import Settings
from bot.engine import Engine
from bot.ingest.chunker import chunk_text
from bot.store import Database, StoreError
from bot.store.migrations import LATEST_VERSION, MIGRATIONS, migrate
from bot.text.normalize import canonical_url, content_hash

V1_ARTICLES = [
    (
        "Lighthouse keeper retires",
        "The last keeper of the Skerry lighthouse retired on Friday after forty years. "
        "The light will be automated next month.",
        "https://example.com/lighthouse",
        "Coast Daily",
        "2023-10-18T09:00:00+00:00",
    ),
    ("Long council report", prose(42, 40), None, None, None),
]


def _make_v1_database(path: Path) -> None:
    """A database as version 1 of briefbot wrote it: no words column, no stats table."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    assert migrate(conn, target=1) == 0
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    for title, text, url, source, published in V1_ARTICLES:
        cur = conn.execute(
            "INSERT INTO articles (title, text, url, canonical_url, source, published_at,"
            " ingested_at, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                title,
                text,
                url,
                canonical_url(url),
                source,
                published,
                "2023-10-19T00:00:00+00:00",
                content_hash(title, text),
            ),
        )
        article_id = cur.lastrowid
        for chunk in chunk_text(text):
            cur = conn.execute(
                "INSERT INTO chunks (article_id, ordinal, start, end, tokens, text)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (article_id, chunk.ordinal, chunk.start, chunk.end, chunk.tokens, chunk.text),
            )
            conn.execute(
                "INSERT INTO chunks_fts (rowid, title, text) VALUES (?, ?, ?)",
                (cur.lastrowid, title, chunk.text),
            )
    conn.close()


def test_v1_database_is_upgraded_in_place_and_searchable(tmp_path: Path) -> None:
    path = tmp_path / "data" / "briefbot.sqlite3"
    path.parent.mkdir()
    _make_v1_database(path)
    inode = path.stat().st_ino

    engine = Engine(Settings(data_dir=tmp_path / "data"))
    try:
        version = engine.store.db.query("PRAGMA user_version")[0][0]
        assert version == LATEST_VERSION == len(MIGRATIONS)
        assert path.stat().st_ino == inode, "upgraded in place, not recreated"
        stored = {a.title: a for a in engine.articles.get_many([1, 2])}
        assert set(stored) == {t[0] for t in V1_ARTICLES}
        assert stored["Long council report"].text == V1_ARTICLES[1][1]
        assert stored["Lighthouse keeper retires"].source == "Coast Daily"
        assert stored["Lighthouse keeper retires"].published_at is not None
        assert engine.store.db.query("SELECT count(*) FROM chunks WHERE words = 0")[0][0] == 0
        assert engine.stats().chunks == len(chunk_text(V1_ARTICLES[1][1])) + 1

        answer = engine.answer_extractive("Who retired from the Skerry lighthouse?")
        assert not answer.abstained
        assert "forty years" in answer.answer
        assert answer.sources[0].url == "https://example.com/lighthouse"

        # new writes work on the upgraded schema, and dedupe sees the old rows
        report = engine.ingestor.ingest_records([])
        assert report.added == 0
        from bot.models import ArticleIn

        again = engine.ingestor.ingest_articles(
            [ArticleIn(title=V1_ARTICLES[0][0], text=V1_ARTICLES[0][1], url=V1_ARTICLES[0][2])]
        )
        assert (again.added, again.duplicates) == (0, 1)
        # the FTS5 table the old versions wrote is gone: the postings index replaced it
        tables = {r[0] for r in engine.store.db.query("SELECT name FROM sqlite_master")}
        assert not {t for t in tables if t.startswith(("chunks_fts", "chunks_vocab"))}
    finally:
        engine.close()
    assert_consistent(path)


def test_reopening_a_current_database_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    Database(path).close()
    db = Database(path)
    try:
        assert db.query("PRAGMA user_version")[0][0] == LATEST_VERSION
        assert db.query("SELECT chunks, words FROM corpus_stats")[0] == (0, 0)
    finally:
        db.close()


def test_failed_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    conn = sqlite3.connect(str(path), isolation_level=None)
    migrate(conn, target=1)
    conn.execute("CREATE TABLE meta (x INTEGER)")  # collides with migration 2
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "corpus_stats" not in tables
    conn.close()


def _bump_version(path: Path, version: int) -> None:
    conn = sqlite3.connect(str(path))
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()


def test_newer_schema_is_refused_with_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    Database(path).close()
    _bump_version(path, LATEST_VERSION + 7)
    with pytest.raises(StoreError, match=r"newer than this briefbot"):
        Database(path)


def test_cli_on_a_newer_schema_prints_one_line_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    Database(data / "briefbot.sqlite3").close()
    _bump_version(data / "briefbot.sqlite3", 99)
    code, out, err = main_in_process(capsys, "stats", "--data-dir", str(data))
    assert code != 0
    assert out == ""
    assert err.count("\n") == 1
    assert "schema version 99 is newer" in err
    assert err.startswith("briefbot: error:")


def test_time_filters_and_listings_use_the_time_index(tmp_path: Path) -> None:
    db = Database(tmp_path / "plan.sqlite3")
    try:
        plan = " ".join(
            str(row[-1])
            for row in db.query(
                "EXPLAIN QUERY PLAN SELECT id FROM articles a"
                " WHERE coalesce(a.published_at, a.ingested_at) >= ?"
                " ORDER BY coalesce(a.published_at, a.ingested_at) DESC, a.id DESC LIMIT 10",
                ("2023-10-17T00:00:00+00:00",),
            )
        )
    finally:
        db.close()
    assert "articles_when" in plan
