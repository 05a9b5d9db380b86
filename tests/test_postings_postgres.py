"""The postings index on PostgreSQL: each instance keeps its own copy in its data directory,
and it follows the shared database (other instances' ingests and deletes, commits that land
below ids already indexed, a `db copy`)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import bot.store.postgres.articles as pg_articles
from bot.config import Settings
from bot.engine import Engine
from bot.ingest.chunker import chunk_text
from bot.models import ArticleIn
from bot.store.port import index_dir
from tests.test_postings_index import corpus


def _settings(tmp_path: Path, pg_url: str, name: str) -> Settings:
    return Settings(data_dir=tmp_path / name, database_url=pg_url, auto_seed=False)


@pytest.fixture
def pair(tmp_path: Path, pg_url: str) -> Iterator[tuple[Engine, Engine]]:
    """Two instances on one database, each with its own data directory."""
    a = Engine(_settings(tmp_path, pg_url, "a"))
    b = Engine(_settings(tmp_path, pg_url, "b"))
    yield a, b
    a.close()
    b.close()


def test_each_instance_follows_the_database(pair: tuple[Engine, Engine]) -> None:
    a, b = pair
    assert a.store.has_postings and b.store.has_postings
    a.ingestor.ingest_articles(corpus(20))
    assert b.search("harbour bridge").passages
    a.ingestor.ingest_articles([ArticleIn(title="Walrus escapes", text="A walrus escaped.")])
    [hit] = b.search("walrus", k=3).passages
    assert hit.title == "Walrus escapes"
    a.remove_articles([str(hit.article_id)])
    assert b.search("walrus").passages == []
    assert b.store.postings.view.documents == b.stats().chunks == 20
    # what a ranked over, b ranks the same way
    question = "storm flood river power"
    assert [p.chunk_id for p in a.search(question, k=10).passages] == [
        p.chunk_id for p in b.search(question, k=10).passages
    ]


def test_the_index_lives_in_the_instances_data_dir(tmp_path: Path, pg_url: str) -> None:
    settings = _settings(tmp_path, pg_url, "a")
    assert index_dir(settings) == tmp_path / "a" / "postgres.postings"
    first = Engine(settings)
    first.ingestor.ingest_articles(corpus(30))
    first.close()
    manifest = json.loads((index_dir(settings) / "manifest.json").read_text())
    assert manifest["segments"] and manifest["store_id"]
    again = Engine(settings)
    try:
        assert again.store.postings.view.documents == 30
        assert again.store.postings.sync() is False  # read from disk, nothing to catch up
    finally:
        again.close()
    other = tmp_path / "elsewhere"  # BRIEFBOT_INDEX_DIR: an empty folder is filled
    moved = Engine(settings.updated(index_dir=other))
    try:
        assert moved.search("harbour bridge").passages
    finally:
        moved.close()
    assert json.loads((other / "manifest.json").read_text())["store_id"] == manifest["store_id"]


def test_a_commit_below_indexed_ids_is_found(
    pair: tuple[Engine, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Instance a takes passage ids, then instance b takes higher ones and commits first;
    a reader that indexed b's passages still finds a's when a commits."""
    a, b = pair
    a.ingestor.ingest_articles(corpus(3))
    reader = b
    reader.store.postings.sync()
    took_ids, go_on = threading.Event(), threading.Event()
    count = pg_articles._count

    def slow_count(tx: Any, rows: list[tuple[Any, ...]], sign: int, hashes: int) -> None:
        if threading.current_thread().name == "slow-writer":
            took_ids.set()
            assert go_on.wait(10)
        count(tx, rows, sign, hashes)

    monkeypatch.setattr(pg_articles, "_count", slow_count)
    late = ArticleIn(title="Zeppelin", text="A zeppelin landed at the fairground.")
    errors: list[BaseException] = []

    def write_late() -> None:
        try:
            a.articles.insert(late, chunk_text(late.text))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    writer = threading.Thread(target=write_late, name="slow-writer")
    writer.start()
    try:
        assert took_ids.wait(10)
        b.ingestor.ingest_articles([ArticleIn(title="Walrus", text="A walrus escaped.")])
        assert reader.search("walrus").passages
        assert reader.search("zeppelin").passages == []  # not committed yet
    finally:
        go_on.set()
        writer.join()
    assert not errors
    [hit] = reader.search("zeppelin fairground", k=3).passages
    walrus = reader.search("walrus").passages[0]
    assert hit.chunk_id < walrus.chunk_id
    assert reader.store.postings.view.documents == reader.stats().chunks == 5


def test_the_fingerprint_migration_counts_stored_passages(pg_url: str) -> None:
    """A database written before the fingerprint existed gets it from its passages."""
    from bot.store import Store
    from bot.store.fingerprint import MODULUS, passage_hash
    from bot.store.postgres.db import PgDatabase
    from bot.store.postgres.migrations import LATEST_VERSION, migrate

    db = PgDatabase(pg_url, migrate_schema=False)
    try:
        migrate(db, target=3)
        with db.transaction() as tx:
            for n in (1, 2):
                tx.execute(
                    "INSERT INTO articles (id, title, text, ingested_at, content_hash)"
                    " VALUES (?, ?, 'x', '2024-01-01T00:00:00Z', ?)",
                    (n, f"Title {n}", f"h{n}"),
                )
                tx.execute(
                    'INSERT INTO chunks (id, article_id, ordinal, start, "end", tokens, text)'
                    " VALUES (?, ?, 0, 0, 9, 3, ?)",
                    (10 + n, n, f"passage {n}"),
                )
        assert not Store(db).has_postings  # no fingerprint yet: the full-text path
        assert migrate(db) == 3
        state = Store(db).search.index_state()
        expected = sum(passage_hash(10 + n, f"Title {n}", f"passage {n}") for n in (1, 2))
        assert state.id_hash == expected % MODULUS and state.store_id
        assert Store(db).has_postings and Store(db).schema_versions()[0] == LATEST_VERSION
    finally:
        db.close()
