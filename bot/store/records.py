"""Load the articles of a window, newest last, with only the fields a briefing needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.models import Passage, SearchFilters
from bot.store.articles import filter_sql
from bot.store.db import Database
from bot.store.timefmt import from_db, required_time
from bot.text.plain import plain_text


@dataclass
class WindowArticle:
    id: int
    title: str
    text: str
    url: str | None
    source: str | None
    published_at: datetime | None
    ingested_at: datetime

    @property
    def when(self) -> datetime:
        return self.published_at or self.ingested_at

    def passage(self, text: str, start: int = 0) -> Passage:
        """A citable passage of this article (for SourceBook numbering)."""
        return Passage(
            chunk_id=0,
            article_id=self.id,
            ordinal=0,
            text=text,
            start=start,
            end=start + len(text),
            title=self.title,
            url=self.url,
            source=self.source,
            published_at=self.published_at,
            ingested_at=self.ingested_at,
        )


def load_window(db: Database, since: datetime, until: datetime, limit: int) -> list[WindowArticle]:
    """Articles published (or, undated, ingested) in [since, until]; the newest `limit`."""
    where, params = filter_sql(SearchFilters(since=since, until=until))
    rows = db.query(
        "SELECT id, title, text, url, source, published_at, ingested_at FROM articles a"
        f" WHERE {where}"
        " ORDER BY coalesce(a.published_at, a.ingested_at) DESC, a.id DESC LIMIT ?",
        (*params, limit),
    )
    found = [
        WindowArticle(
            id=r[0],
            title=plain_text(r[1]),
            text=plain_text(r[2]),
            url=r[3],
            source=r[4],
            published_at=from_db(r[5]),
            ingested_at=required_time(from_db(r[6])),
        )
        for r in rows
    ]
    found.sort(key=lambda a: (a.when, a.id))
    return found
