"""`briefbot db copy`: an SQLite store into PostgreSQL, resumable and idempotent.

Articles travel in id ranges, each range in one target transaction together with its
chunks (their index terms computed on the way), vectors and near-duplicate bands, so an
interrupted copy resumes after the last committed range. The small, mutable tables (feeds,
subscriptions, deliveries, conversations, usage, alternates) are upserted whole on every
run. Identity sequences, term counts and corpus totals are rebuilt at the end, so running
the copy again changes nothing; the corpus fingerprint (`bot.store.fingerprint`) grows with
each range, in its transaction. Stop the bot while copying: rows changed in SQLite after
their range was copied are not copied again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bot.store.db import Database
from bot.store.errors import StoreError
from bot.store.fingerprint import MODULUS, passage_hash
from bot.store.neardups import print_keys
from bot.store.postgres.articles import TITLE_MARK, chunk_terms
from bot.store.postgres.db import PgDatabase, Transaction
from bot.store.postgres.vectors import PgVectorRepository, vector_literal
from bot.store.vectors import DTYPE
from bot.text.words import index_terms

Progress = Callable[[str, int], None]
ARTICLES_PER_RANGE = 2_000
MARKER = "copied_from_sqlite"

_ARTICLE_COLUMNS = (
    "id, title, text, url, canonical_url, source, published_at, ingested_at, content_hash,"
    " language, external_id, origin, author"
)
# Upserted whole: (table, columns, conflict target).
_SMALL_TABLES: list[tuple[str, str, str]] = [
    (
        "feeds",
        "id, url, name, interval_minutes, etag, last_modified, added_at, next_poll_at,"
        " last_polled_at, last_success_at, consecutive_failures, last_error, paused,"
        " entries_seen, articles_added",
        "id",
    ),
    ("feed_entries", "feed_id, entry_key, content_hash, seen_at", "feed_id, entry_key"),
    (
        "article_alternates",
        "id, canonical_id, dedupe_key, title, url, source, published_at, similarity, added_at",
        "id",
    ),
    ("briefing_chats", "chat_id, timezone, last_briefing_at", "chat_id"),
    (
        "subscriptions",
        "id, chat_id, thread_id, time_of_day, timezone, keywords, status, status_reason,"
        " created_at, updated_at, last_slot",
        "id",
    ),
    (
        "briefing_deliveries",
        "chat_id, thread_id, slot, subscription_id, status, attempts, claim_token, detail,"
        " stories, claimed_at, updated_at",
        "chat_id, thread_id, slot",
    ),
    ("conversations", "id, chat_id, user_id, thread_id, created_at, updated_at", "id"),
    (
        "conversation_turns",
        "id, conversation_id, question, answer, tokens, created_at",
        "id",
    ),
    ("conversation_messages", "chat_id, message_id, conversation_id", "chat_id, message_id"),
    (
        "llm_usage",
        "id, chat_id, day, created_at, mode, prompt_tokens, completion_tokens, fallback_reason",
        "id",
    ),
]
_IDENTITY_TABLES = [
    "articles",
    "chunks",
    "feeds",
    "article_alternates",
    "subscriptions",
    "conversations",
    "conversation_turns",
    "llm_usage",
]


def _source_id(source: Database) -> str:
    """A stable identity of the source store, kept in its `meta` table."""
    rows = source.query("SELECT value FROM meta WHERE key = 'store_id'")
    if rows:
        return str(rows[0][0])
    import uuid

    value = uuid.uuid4().hex
    with source.transaction() as tx:
        tx.execute("INSERT INTO meta (key, value) VALUES ('store_id', ?)", (value,))
    return value


def _check_target(source_id: str, target: PgDatabase) -> None:
    marker = target.query("SELECT value FROM meta WHERE key = ?", (MARKER,))
    if marker and marker[0][0] != source_id:
        raise StoreError("the target database holds a copy of another store; use an empty one")
    if not marker and target.query("SELECT 1 FROM articles LIMIT 1"):
        raise StoreError("the target database is not empty; copy into a fresh database")
    with target.transaction() as tx:
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            (MARKER, source_id),
        )


def copy_store(
    source: Database,
    target: PgDatabase,
    *,
    per_range: int = ARTICLES_PER_RANGE,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Copy everything not yet copied; returns the rows written per table in this run."""
    _check_target(_source_id(source), target)
    written: dict[str, int] = {}
    done = int(target.query("SELECT coalesce(max(id), 0) FROM articles")[0][0])
    embeddings = PgVectorRepository(target).in_database
    while True:
        ids = [
            int(r[0])
            for r in source.query(
                "SELECT id FROM articles WHERE id > ? ORDER BY id LIMIT ?", (done, per_range)
            )
        ]
        if not ids:
            break
        with target.transaction() as tx:
            for table, count in _copy_range(source, tx, done, ids[-1], embeddings).items():
                written[table] = written.get(table, 0) + count
        done = ids[-1]
        if progress:
            progress("articles", written.get("articles", 0))
    with target.transaction() as tx:
        for table, columns, key in _SMALL_TABLES:
            written[table] = _upsert(
                tx, table, columns, key, source.query(f"SELECT {columns} FROM {table}")
            )
        _rebuild_totals(tx)
    return written


def _copy_range(
    source: Database, tx: Transaction, after: int, last: int, embeddings: bool
) -> dict[str, int]:
    span = (after, last)
    articles = source.query(
        f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id > ? AND id <= ? ORDER BY id", span
    )
    tx.copy_rows(f"articles ({_ARTICLE_COLUMNS})", articles)
    titles = {int(r[0]): r[1] for r in articles}
    terms = {article_id: index_terms(title) for article_id, title in titles.items()}
    chunks = [
        (*row[:8], chunk_terms(terms[int(row[1])], row[7]))
        for row in source.query(
            'SELECT id, article_id, ordinal, start, "end", tokens, words, text FROM chunks'
            " WHERE article_id > ? AND article_id <= ? ORDER BY id",
            span,
        )
    ]
    tx.copy_rows(
        'chunks (id, article_id, ordinal, start, "end", tokens, words, text, terms)', chunks
    )
    # the fingerprint follows the passages in the same transaction (a resumed copy adds
    # each range once); passage counts and words are recounted at the end
    hashes = sum(passage_hash(int(c[0]), titles[int(c[1])], c[7]) for c in chunks) % MODULUS
    tx.execute(
        "UPDATE corpus_stats SET id_hash = (id_hash + ?) % ? WHERE id = 1", (hashes, MODULUS)
    )
    vectors = source.query(
        "SELECT v.chunk_id, v.model, v.vector FROM chunk_vectors v JOIN chunks c"
        " ON c.id = v.chunk_id WHERE c.article_id > ? AND c.article_id <= ?",
        span,
    )
    if embeddings:  # pgvector: the same vector, as the database's own type
        tx.copy_rows(
            "chunk_vectors (chunk_id, model, vector, embedding)",
            [(*v, vector_literal(np.frombuffer(v[2], dtype=DTYPE))) for v in vectors],
        )
    else:
        tx.copy_rows("chunk_vectors (chunk_id, model, vector)", vectors)
    prints = source.query(
        "SELECT article_id, keys FROM near_dup_prints WHERE article_id > ? AND article_id <= ?",
        span,
    )
    bands = [
        (key, article_id) for article_id, keys in prints for key in dict.fromkeys(print_keys(keys))
    ]
    tx.copy_rows("near_dup_bands (band_key, article_id)", bands)
    return {
        "articles": len(articles),
        "chunks": len(chunks),
        "chunk_vectors": len(vectors),
        "near_dup_bands": len(bands),
    }


def _upsert(
    tx: Transaction, table: str, columns: str, key: str, rows: Sequence[tuple[Any, ...]]
) -> int:
    if not rows:
        return 0
    names = [c.strip() for c in columns.split(",")]
    keys = {k.strip() for k in key.split(",")}
    updates = ", ".join(f"{c} = excluded.{c}" for c in names if c not in keys)
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    marks = ", ".join("?" * len(names))
    tx.executemany(
        f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT ({key}) {action}",
        rows,
    )
    return len(rows)


def _rebuild_totals(tx: Transaction) -> None:
    """Identity sequences past the copied ids; term counts and corpus totals from chunks;
    planner statistics."""
    for table in _IDENTITY_TABLES:
        tx.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f" (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
        )
    tx.execute("DELETE FROM term_stats")
    tx.execute(
        "INSERT INTO term_stats (term, docs) SELECT term, count(*) FROM chunks,"
        " unnest(string_to_array(terms, ' ')) AS term WHERE left(term, 1) <> ?"
        " GROUP BY term",
        (TITLE_MARK,),
    )
    tx.execute(
        "UPDATE corpus_stats SET chunks = (SELECT count(*) FROM chunks),"
        " words = (SELECT coalesce(sum(words), 0) FROM chunks) WHERE id = 1"
    )
    tx.execute("ANALYZE")  # planner statistics for the new rows (the full-text index)
