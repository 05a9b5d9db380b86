"""Numbered schema migrations, applied in order and tracked in `PRAGMA user_version`.

Never edit a released migration: add a new one. Each runs in its own transaction, so an
interrupted upgrade leaves the database at the previous version, never in between.
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Callable
from itertools import groupby
from operator import itemgetter

Migration = Callable[[sqlite3.Connection], None]


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer briefbot; opening it could corrupt it."""


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


def _v3_briefing_subscriptions(db: sqlite3.Connection) -> None:
    """Issue 5: chat preferences, briefing subscriptions, and the delivery log.

    thread_id 0 means "no forum thread" so that UNIQUE and PRIMARY KEY treat it as a value.
    A delivery row is the claim on (chat, thread, slot): at most one briefing per slot.
    """
    run_script(
        db,
        """
        CREATE TABLE briefing_chats (
            chat_id          INTEGER PRIMARY KEY,
            timezone         TEXT,
            last_briefing_at TEXT
        );
        CREATE TABLE subscriptions (
            id            INTEGER PRIMARY KEY,
            chat_id       INTEGER NOT NULL,
            thread_id     INTEGER NOT NULL DEFAULT 0,
            time_of_day   TEXT NOT NULL,
            timezone      TEXT NOT NULL,
            keywords      TEXT NOT NULL DEFAULT '[]',
            status        TEXT NOT NULL DEFAULT 'active'
                          CHECK (status IN ('active', 'paused', 'inactive')),
            status_reason TEXT,
            created_at    TEXT NOT NULL,
            updated_at    TEXT NOT NULL,
            last_slot     TEXT,
            UNIQUE (chat_id, thread_id)
        );
        CREATE INDEX subscriptions_status ON subscriptions(status);
        CREATE TABLE briefing_deliveries (
            chat_id         INTEGER NOT NULL,
            thread_id       INTEGER NOT NULL DEFAULT 0,
            slot            TEXT NOT NULL,
            subscription_id INTEGER,
            status          TEXT NOT NULL,
            attempts        INTEGER NOT NULL DEFAULT 0,
            claim_token     TEXT,
            detail          TEXT,
            stories         INTEGER,
            claimed_at      TEXT NOT NULL,
            updated_at      TEXT NOT NULL,
            PRIMARY KEY (chat_id, thread_id, slot)
        );
        CREATE INDEX briefing_deliveries_status ON briefing_deliveries(status);
        """,
    )


def _v4_llm_usage(db: sqlite3.Connection) -> None:
    """Token usage per answer, for per-chat daily budgets (issue 3)."""
    run_script(
        db,
        """
        CREATE TABLE llm_usage (
            id                INTEGER PRIMARY KEY,
            chat_id           TEXT NOT NULL,
            day               TEXT NOT NULL,
            created_at        TEXT NOT NULL,
            mode              TEXT NOT NULL,
            prompt_tokens     INTEGER NOT NULL,
            completion_tokens INTEGER NOT NULL,
            fallback_reason   TEXT
        );
        CREATE INDEX llm_usage_chat_day ON llm_usage(chat_id, day);
        """,
    )


def _v5_conversations(db: sqlite3.Connection) -> None:
    """Telegram follow-up context: conversations, their turns, and the bot messages in them."""
    run_script(
        db,
        """
        CREATE TABLE conversations (
            id         INTEGER PRIMARY KEY,
            chat_id    INTEGER NOT NULL,
            user_id    INTEGER,
            thread_id  INTEGER,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX conversations_chat ON conversations(chat_id, updated_at);

        CREATE TABLE conversation_turns (
            id              INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            question        TEXT NOT NULL,
            answer          TEXT NOT NULL,
            tokens          INTEGER NOT NULL,
            created_at      TEXT NOT NULL
        );
        CREATE INDEX conversation_turns_conv ON conversation_turns(conversation_id, id);

        CREATE TABLE conversation_messages (
            chat_id         INTEGER NOT NULL,
            message_id      INTEGER NOT NULL,
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            PRIMARY KEY (chat_id, message_id)
        );
        CREATE INDEX conversation_messages_conv ON conversation_messages(conversation_id);
        """,
    )


def _v6_feeds_alternates_near_dups(db: sqlite3.Connection) -> None:
    """Feeds with their poll state, seen entries, alternate sources and LSH band keys.

    `near_dup_bands` has no foreign key on purpose: a cascade would need a second index over
    millions of rows; keys of deleted articles are skipped when candidates are loaded.
    """
    run_script(
        db,
        """
        ALTER TABLE articles ADD COLUMN author TEXT;

        CREATE TABLE feeds (
            id                   INTEGER PRIMARY KEY,
            url                  TEXT NOT NULL UNIQUE,
            name                 TEXT,
            interval_minutes     INTEGER NOT NULL,
            etag                 TEXT,
            last_modified        TEXT,
            added_at             TEXT NOT NULL,
            next_poll_at         TEXT NOT NULL,
            last_polled_at       TEXT,
            last_success_at      TEXT,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            last_error           TEXT,
            paused               INTEGER NOT NULL DEFAULT 0,
            entries_seen         INTEGER NOT NULL DEFAULT 0,
            articles_added       INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX feeds_due ON feeds(paused, next_poll_at);

        CREATE TABLE feed_entries (
            feed_id      INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            entry_key    TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            seen_at      TEXT NOT NULL,
            PRIMARY KEY (feed_id, entry_key)
        ) WITHOUT ROWID;
        CREATE INDEX feed_entries_hash ON feed_entries(feed_id, content_hash);

        CREATE TABLE article_alternates (
            id           INTEGER PRIMARY KEY,
            canonical_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            dedupe_key   TEXT NOT NULL,
            title        TEXT NOT NULL,
            url          TEXT,
            source       TEXT,
            published_at TEXT,
            similarity   REAL NOT NULL,
            added_at     TEXT NOT NULL,
            UNIQUE (canonical_id, dedupe_key)
        );

        CREATE TABLE near_dup_bands (
            band_key   INTEGER NOT NULL,
            article_id INTEGER NOT NULL,
            PRIMARY KEY (band_key, article_id)
        ) WITHOUT ROWID;
        """,
    )


def _v7_chunk_vectors(db: sqlite3.Connection) -> None:
    """Issue 7: dense embeddings per chunk (float16 BLOBs); `model` names the embedder."""
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


def _v8_article_time_index(db: sqlite3.Connection) -> None:
    """Index the time every filter and listing uses: published, or else ingested.

    Date filters (`--since/--until`), `sources` and briefing windows all order or filter on
    coalesce(published_at, ingested_at); without this index they scan every article.
    """
    db.execute("CREATE INDEX articles_when ON articles(coalesce(published_at, ingested_at), id)")


def _v9_repair_rows(db: sqlite3.Connection) -> None:
    """Repair rows stored before ingest checked them, so one record cannot poison the store.

    Years below 1000 were written unpadded ("999-05-01T…"): pad them, or every read fails
    and text order is not time order. Dates more than two days after ingest (a wrong clock)
    become undated, as ingest now does. URLs that are not http(s) are dropped: only those
    may become links. A copy recorded under two stories (re-ingest matched it to a story
    stored after it) keeps its first one, and from now on one copy has one story.
    """
    for table in ("articles", "article_alternates"):
        run_script(
            db,
            f"""
            UPDATE {table}
               SET published_at = substr('000', 1, 5 - instr(published_at, '-')) || published_at
             WHERE instr(published_at, '-') BETWEEN 2 AND 4;
            UPDATE {table} SET url = NULL
             WHERE url IS NOT NULL
               AND lower(ltrim(url)) NOT LIKE 'http://%'
               AND lower(ltrim(url)) NOT LIKE 'https://%';
            """,
        )
    run_script(
        db,
        """
        UPDATE articles SET canonical_url = NULL WHERE url IS NULL;
        UPDATE articles SET published_at = NULL
         WHERE published_at > strftime('%Y-%m-%dT%H:%M:%S+00:00', ingested_at, '+2 days');
        DELETE FROM article_alternates
         WHERE id NOT IN (SELECT min(id) FROM article_alternates GROUP BY dedupe_key);
        CREATE UNIQUE INDEX IF NOT EXISTS article_alternates_key ON article_alternates(dedupe_key);
        """,
    )


def _v10_corpus_fingerprint(db: sqlite3.Connection) -> None:
    """The corpus fingerprint the postings index checks itself against, and a store id.

    `corpus_stats.id_hash` sums `fingerprint.passage_hash` over every passage; `meta`
    key `store_id` tells an index which store it was built from (a copied or replaced
    database file is another store).
    """
    import uuid

    from bot.store.fingerprint import MODULUS, passage_hash

    columns = {row[1] for row in db.execute("PRAGMA table_info(corpus_stats)")}
    if "id_hash" not in columns:  # (re-running it, as after a version rewind, is harmless)
        db.execute("ALTER TABLE corpus_stats ADD COLUMN id_hash INTEGER NOT NULL DEFAULT 0")
    total = 0
    for chunk_id, title, text in db.execute(
        "SELECT c.id, a.title, c.text FROM chunks c JOIN articles a ON a.id = c.article_id"
    ):
        total = (total + passage_hash(chunk_id, title, text)) % MODULUS
    db.execute("UPDATE corpus_stats SET id_hash = ? WHERE id = 1", (total,))
    db.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('store_id', ?)", (uuid.uuid4().hex,)
    )


def _v11_usage_day_index(db: sqlite3.Connection) -> None:
    """The day's tokens for everyone (`llm.daily_tokens_total`, checked before every LLM
    call) read from an index covering the sum, not by scanning the whole ledger."""
    db.execute(
        "CREATE INDEX IF NOT EXISTS llm_usage_day"
        " ON llm_usage(day, prompt_tokens, completion_tokens)"
    )


def _v12_drop_full_text(db: sqlite3.Connection) -> None:
    """Searches rank over the postings index and topics match through it (both follow the
    chunks table), so SQLite's FTS5 table is neither written nor read any more."""
    db.execute("DROP TABLE IF EXISTS chunks_vocab")
    db.execute("DROP TABLE IF EXISTS chunks_fts")


def _v13_near_dup_prints(db: sqlite3.Connection) -> None:
    """Near-duplicate band keys as one row per article (`keys`: its little-endian 64-bit
    keys), appended in id order, instead of a row per key in a B-tree keyed by the key:
    ten random inserts per article rewrote most of that tree's pages at every batch commit.
    Lookups go through memory (`neardups.PrintsIndex`). The keys move over as they are;
    re-running it (after a version rewind) is harmless."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS near_dup_prints"
        " (article_id INTEGER PRIMARY KEY, keys BLOB NOT NULL)"
    )
    if db.execute(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'near_dup_bands'"
    ).fetchone():
        rows = db.execute(
            "SELECT article_id, band_key FROM near_dup_bands ORDER BY article_id, band_key"
        )
        db.executemany(
            "INSERT OR IGNORE INTO near_dup_prints (article_id, keys) VALUES (?, ?)",
            (
                (article_id, b"".join(struct.pack("<q", key) for _, key in group))
                for article_id, group in groupby(rows, key=itemgetter(0))
            ),
        )
        db.execute("DROP TABLE near_dup_bands")


MIGRATIONS: list[Migration] = [
    _v1_articles_chunks,
    _v2_stats_vocab_meta,
    _v3_briefing_subscriptions,
    _v4_llm_usage,
    _v5_conversations,
    _v6_feeds_alternates_near_dups,
    _v7_chunk_vectors,
    _v8_article_time_index,
    _v9_repair_rows,
    _v10_corpus_fingerprint,
    _v11_usage_day_index,
    _v12_drop_full_text,
    _v13_near_dup_prints,
]

LATEST_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection, target: int = LATEST_VERSION) -> int:
    """Bring `db` up to `target`; returns the version it started from."""
    start = int(db.execute("PRAGMA user_version").fetchone()[0])
    if start > LATEST_VERSION:
        raise SchemaTooNewError(
            f"database schema version {start} is newer than this briefbot ({LATEST_VERSION});"
            " upgrade briefbot to use it"
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
