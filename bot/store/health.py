"""What `briefbot doctor` reads from the store: schema version and corpus counts."""

from __future__ import annotations

import sqlite3

from bot.store.db import Database
from bot.store.migrations import LATEST_VERSION

COUNTED = {
    "articles": "SELECT count(*) FROM articles",
    "passages": "SELECT chunks FROM corpus_stats WHERE id = 1",
    "vectors": "SELECT count(*) FROM chunk_vectors",
    "alternates": "SELECT count(*) FROM article_alternates",
    "feeds": "SELECT count(*) FROM feeds",
    "subscriptions": "SELECT count(*) FROM subscriptions WHERE status = 'active'",
}


def schema_versions(db: Database) -> tuple[int, int]:
    """(the database's schema version, the version this briefbot writes)."""
    return int(db.query("PRAGMA user_version")[0][0]), LATEST_VERSION


def corpus_counts(db: Database) -> dict[str, int]:
    """Rows of what the bot keeps; a table an older schema lacks is left out."""
    counts: dict[str, int] = {}
    for name, sql in COUNTED.items():
        try:
            rows = db.query(sql)
        except sqlite3.OperationalError:
            continue
        counts[name] = int(rows[0][0]) if rows else 0
    return counts
