"""Alternate sources: copies of a stored article published by other outlets (or other URLs)."""

from __future__ import annotations

from bot.models import AlternateSource, ArticleIn
from bot.store.db import Database
from bot.store.timefmt import from_db, to_db, utcnow
from bot.text.normalize import canonical_url


class AlternateRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, canonical_id: int, article: ArticleIn, similarity: float) -> bool:
        """Record `article` as a copy of `canonical_id`; False when it is that very article
        (same URL) or already recorded."""
        curl = canonical_url(article.url)
        row = self.db.query("SELECT canonical_url FROM articles WHERE id = ?", (canonical_id,))
        if not row or (curl is not None and row[0][0] == curl):
            return False
        key = curl or f"{(article.source or '').lower()}|{article.title.lower()}"
        with self.db.transaction() as tx:
            cur = tx.execute(
                "INSERT OR IGNORE INTO article_alternates (canonical_id, dedupe_key, title, url,"
                " source, published_at, similarity, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    canonical_id,
                    key,
                    article.title,
                    article.url,
                    article.source,
                    to_db(article.published_at),
                    round(similarity, 4),
                    to_db(utcnow()),
                ),
            )
        return cur.rowcount > 0

    def for_articles(self, article_ids: list[int]) -> dict[int, list[AlternateSource]]:
        """Alternates of each given article (oldest first); articles without any are absent."""
        if not article_ids:
            return {}
        marks = ",".join("?" * len(article_ids))
        rows = self.db.query(
            "SELECT canonical_id, title, url, source, published_at, similarity"
            f" FROM article_alternates WHERE canonical_id IN ({marks}) ORDER BY id",
            tuple(article_ids),
        )
        found: dict[int, list[AlternateSource]] = {}
        for r in rows:
            found.setdefault(int(r[0]), []).append(
                AlternateSource(
                    canonical_id=r[0],
                    title=r[1],
                    url=r[2],
                    source=r[3],
                    published_at=from_db(r[4]),
                    similarity=r[5],
                )
            )
        return found
