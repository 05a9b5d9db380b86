"""Alternate sources: copies of a stored article published by other outlets (or other URLs)."""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.models import AlternateIn, AlternateSource, ArticleIn
from bot.store.db import DB, Row, in_batches
from bot.store.timefmt import from_db, to_db, utcnow
from bot.text.normalize import canonical_url, http_url

# SQLite caps bound parameters; a briefing window may hold thousands of articles.
_IDS_PER_QUERY = 500
_KEYS_PER_QUERY = 5_000


def outlet_name(source: str | None, url: str | None) -> str:
    """The publisher's name, or the URL's host when the feed gave none."""
    if source and source.strip():
        return " ".join(source.split())
    host = (urlsplit(url or "").hostname or "").lower()
    return host.removeprefix("www.") or "unknown"


class AlternateRepository:
    def __init__(self, db: DB) -> None:
        self.db = db

    @staticmethod
    def key(article: ArticleIn) -> str:
        """What identifies a copy: its canonical URL, else its outlet and title."""
        return AlternateRepository.key_with(article, canonical_url(article.url))

    @staticmethod
    def key_with(article: ArticleIn, curl: str | None) -> str:
        """`key(article)` when its canonical URL (`curl`) is known already."""
        return curl or f"{(article.source or '').lower()}|{article.title.lower()}"

    def recorded(self, article: ArticleIn) -> bool:
        """Whether `article` is already a recorded copy (of any story)."""
        return bool(
            self.db.query(
                "SELECT 1 FROM article_alternates WHERE dedupe_key = ?", (self.key(article),)
            )
        )

    def recorded_keys(self, keys: list[str]) -> set[str]:
        """Which of these copy keys (`key`) are recorded already (for a batch at once)."""
        found: set[str] = set()
        for part, marks in in_batches(keys, _KEYS_PER_QUERY):
            found.update(
                str(r[0])
                for r in self.db.query(
                    f"SELECT dedupe_key FROM article_alternates WHERE dedupe_key IN ({marks})",
                    tuple(part),
                )
            )
        return found

    def add(self, canonical_id: int, article: ArticleIn, similarity: float) -> bool:
        """Record `article` as a copy of `canonical_id`; False when it is that very article
        (same URL) or already recorded, here or under another story (a copy has one story)."""
        curl = canonical_url(article.url)
        row = self.db.query("SELECT canonical_url FROM articles WHERE id = ?", (canonical_id,))
        if not row or (curl is not None and row[0][0] == curl):
            return False
        key = self.key(article)
        with self.db.transaction() as tx:
            cur = tx.execute(
                "INSERT INTO article_alternates (canonical_id, dedupe_key, title, url,"
                " source, published_at, similarity, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
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

    def restore(self, canonical_id: int, copies: list[AlternateIn]) -> int:
        """Record exported copies of `canonical_id` as they were; returns how many were new."""
        rows = [
            (
                canonical_id,
                canonical_url(c.url) or f"{(c.source or '').lower()}|{c.title.lower()}",
                c.title,
                http_url(c.url),  # only web links are kept, as at ingest
                c.source,
                to_db(c.published_at),
                round(c.similarity, 4),
                to_db(utcnow()),
            )
            for c in copies
        ]
        with self.db.transaction() as tx:
            # both drivers sum an executemany's inserted rows into its rowcount
            cur = tx.executemany(
                "INSERT INTO article_alternates (canonical_id, dedupe_key, title, url,"
                " source, published_at, similarity, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                rows,
            )
            return max(int(cur.rowcount), 0)

    def for_articles(self, article_ids: list[int]) -> dict[int, list[AlternateSource]]:
        """Alternates of each given article (oldest first); articles without any are absent."""
        rows: list[Row] = []
        ids = list(dict.fromkeys(article_ids))
        for part, marks in in_batches(ids, _IDS_PER_QUERY):
            rows += self.db.query(
                "SELECT canonical_id, title, url, source, published_at, similarity, id"
                f" FROM article_alternates WHERE canonical_id IN ({marks})",
                tuple(part),
            )
        rows.sort(key=lambda r: r[6])
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

    def outlets_for(self, own_outlets: dict[int, str]) -> dict[int, list[str]]:
        """Names for "also reported by": the distinct outlets of each article's copies, oldest
        first, without the article's own outlet (`own_outlets`: article id → its outlet)."""
        found: dict[int, list[str]] = {}
        for article_id, copies in self.for_articles(list(own_outlets)).items():
            seen = {own_outlets[article_id].casefold()}
            names: list[str] = []
            for copy in copies:
                name = outlet_name(copy.source, copy.url)
                if name.casefold() not in seen:
                    seen.add(name.casefold())
                    names.append(name)
            if names:
                found[article_id] = names
        return found
