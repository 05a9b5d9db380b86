"""Numbered schema migrations, applied in order and tracked in `PRAGMA user_version`.

Never edit a released migration: add a new one. Each runs in its own transaction, so an
interrupted upgrade leaves the database at the previous version, never in between.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]


def run_script(db: sqlite3.Connection, script: str) -> None:
    """Execute several statements inside the current transaction.

    `Connection.executescript` would COMMIT first, breaking the migration's atomicity.
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement: {statement.strip()[:80]}")


def _v1_articles_chunks(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        CREATE TABLE articles (
            id            INTEGER PRIMARY KEY,
            title         TEXT NOT NULL,
            text          TEXT NOT NULL,
            url           TEXT,
            canonical_url TEXT UNIQUE,
            source        TEXT,
            published_at  TEXT,
            ingested_at   TEXT NOT NULL,
            content_hash  TEXT NOT NULL UNIQUE,
            language      TEXT,
            external_id   TEXT,
            origin        TEXT
        );
        CREATE INDEX articles_published ON articles(published_at);
        CREATE INDEX articles_source ON articles(source COLLATE NOCASE);

        CREATE TABLE chunks (
            id          INTEGER PRIMARY KEY,
            article_id  INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            ordinal     INTEGER NOT NULL,
            start       INTEGER NOT NULL,
            end         INTEGER NOT NULL,
            tokens      INTEGER NOT NULL,
            text        TEXT NOT NULL,
            UNIQUE (article_id, ordinal)
        );

        CREATE VIRTUAL TABLE chunks_fts USING fts5(
            title, text, content='', tokenize='porter unicode61 remove_diacritics 2'
        );
        """,
    )


def _v2_stats_vocab_meta(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        ALTER TABLE chunks ADD COLUMN words INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE corpus_stats (
            id     INTEGER PRIMARY KEY CHECK (id = 1),
            chunks INTEGER NOT NULL,
            words  INTEGER NOT NULL
        );
        CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab(chunks_fts, 'row');
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """,
    )
    from bot.text.words import word_count

    rows = db.execute(
        "SELECT c.id, a.title, c.text FROM chunks c JOIN articles a ON a.id = c.article_id"
    ).fetchall()
    db.executemany(
        "UPDATE chunks SET words = ? WHERE id = ?",
        [(word_count(title) + word_count(text), cid) for cid, title, text in rows],
    )
    db.execute(
        "INSERT INTO corpus_stats (id, chunks, words) "
        "SELECT 1, count(*), coalesce(sum(words), 0) FROM chunks"
    )


def _v3_chunk_vectors(db: sqlite3.Connection) -> None:
    """Dense embeddings per chunk (float16 BLOBs); `model` says which embedder made them."""
    run_script(
        db,
        """
        CREATE TABLE chunk_vectors (
            chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
            model    TEXT NOT NULL,
            vector   BLOB NOT NULL
        );
        """,
    )


MIGRATIONS: list[Migration] = [
    _v1_articles_chunks,
    _v2_stats_vocab_meta,
    _v3_chunk_vectors,
]

LATEST_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection, target: int = LATEST_VERSION) -> int:
    """Bring `db` up to `target`; returns the version it started from."""
    start = int(db.execute("PRAGMA user_version").fetchone()[0])
    if start > LATEST_VERSION:
        raise RuntimeError(
            f"database schema version {start} is newer than this briefbot ({LATEST_VERSION})"
        )
    for version in range(start + 1, target + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[version - 1](db)
            db.execute(f"PRAGMA user_version = {version}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return start
