"""Rows the store returns that are not boundary models of their own (see bot/models.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.models import Passage
from bot.store.alternates import outlet_name
from bot.store.db import Row
from bot.store.timefmt import from_db, required_time
from bot.text.plain import plain_text

# The columns `window_article` reads, in its order (prefix them with an alias if needed).
WINDOW_COLUMNS = "id, title, text, url, source, published_at, ingested_at"


@dataclass(frozen=True)
class WindowArticle:
    """An article of a time window (a briefing's, a topic's), title and text as plain text."""

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

    @property
    def outlet(self) -> str:
        """The publisher's name, or the URL's host when the feed gave none."""
        return outlet_name(self.source, self.url)

    def passage(self, text: str) -> Passage:
        """A citable passage of this article (for SourceBook numbering)."""
        return Passage(
            chunk_id=0,
            article_id=self.id,
            ordinal=0,
            text=text,
            start=0,
            end=len(text),
            title=self.title,
            url=self.url,
            source=self.source,
            published_at=self.published_at,
            ingested_at=self.ingested_at,
        )


def window_article(row: Row) -> WindowArticle:
    """A row of `WINDOW_COLUMNS`, title and text made plain."""
    return WindowArticle(
        id=row[0],
        title=plain_text(row[1]),
        text=plain_text(row[2]),
        url=row[3],
        source=row[4],
        published_at=from_db(row[5]),
        ingested_at=required_time(from_db(row[6])),
    )


@dataclass
class TokenisedPassages:
    """Passages as ingest has them right after writing them, tokenised once for the word
    counts it stores and for the postings index: per passage its id (ascending), words
    (title + text), stored time (published, else ingested; the store's text form),
    fingerprint hash, and the `word_tokens` of its article's title and of its text."""

    ids: list[int] = field(default_factory=list)
    words: list[int] = field(default_factory=list)
    stamps: list[str] = field(default_factory=list)
    mix: list[int] = field(default_factory=list)
    title_tokens: list[list[str]] = field(default_factory=list)
    text_tokens: list[list[str]] = field(default_factory=list)
