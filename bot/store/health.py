"""What `briefbot doctor` reads from the store: schema version and corpus counts."""

from __future__ import annotations

from bot.store.db import DB
from bot.store.errors import StoreError
from bot.store.migrations import LATEST_VERSION

COUNTED = {
    "articles": "SELECT count(*) FROM articles",
    "passages": "SELECT chunks FROM corpus_stats WHERE id = 1",
    "vectors": "SELECT count(*) FROM chunk_vectors",
    "alternates": "SELECT count(*) FROM article_alternates",
    "feeds": "SELECT count(*) FROM feeds",
    "subscriptions": "SELECT count(*) FROM subscriptions WHERE status = 'active'",
}


def schema_versions(db: DB) -> tuple[int, int]:
    """(the database's schema version, the version this briefbot writes)."""
    if db.dialect == "postgresql":
        from bot.store.postgres.migrations import LATEST_VERSION as PG_LATEST

        if db.query("SELECT to_regclass('schema_migrations')")[0][0] is None:
            return 0, PG_LATEST  # a database briefbot has not set up yet
        rows = db.query("SELECT coalesce(max(version), 0) FROM schema_migrations")
        return int(rows[0][0]), PG_LATEST
    return int(db.query("PRAGMA user_version")[0][0]), LATEST_VERSION


def corpus_counts(db: DB) -> dict[str, int]:
    """Rows of what the bot keeps; a table an older schema lacks is left out."""
    counts: dict[str, int] = {}
    for name, sql in COUNTED.items():
        try:
            rows = db.query(sql)
        except StoreError:  # a table an older schema lacks
            continue
        counts[name] = int(rows[0][0]) if rows else 0
    return counts
