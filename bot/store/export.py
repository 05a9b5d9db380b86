"""Reading the corpus out for `briefbot export`: every article with its metadata and
alternates, in id (ingest) order, a page at a time so any corpus size streams in bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.models import SearchFilters
from bot.store.alternates import AlternateRepository
from bot.store.articles import filter_sql
from bot.store.db import DB
from bot.store.timefmt import from_db

PAGE = 500


def _iso(value: str | None) -> str | None:
    when = from_db(value)
    return when.isoformat() if when else None


def export_records(db: DB, filters: SearchFilters | None = None) -> Iterator[dict[str, Any]]:
    """One JSON-ready dict per article: what `briefbot ingest` reads back as the same article."""
    where, params = filter_sql(filters, like=db.like)
    alternates = AlternateRepository(db)
    last = 0
    while True:
        rows = db.query(
            "SELECT id, title, text, url, source, published_at, ingested_at, language,"
            " external_id, author FROM articles a WHERE a.id > ?"
            + (f" AND {where}" if where else "")
            + " ORDER BY a.id LIMIT ?",
            (last, *params, PAGE),
        )
        if not rows:
            return
        copies = alternates.for_articles([int(r[0]) for r in rows])
        for r in rows:
            yield {
                "title": r[1],
                "text": r[2],
                "url": r[3],
                "source": r[4],
                "published_at": _iso(r[5]),
                "ingested_at": _iso(r[6]),
                "language": r[7],
                "external_id": r[8],
                "author": r[9],
                "alternates": [
                    {
                        "title": c.title,
                        "url": c.url,
                        "source": c.source,
                        "published_at": c.published_at.isoformat() if c.published_at else None,
                        "similarity": c.similarity,
                    }
                    for c in copies.get(int(r[0]), [])
                ],
            }
        last = int(rows[-1][0])
