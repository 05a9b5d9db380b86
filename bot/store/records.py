"""Rows the store returns that are not boundary models of their own (see bot/models.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.models import Passage


@dataclass
class WindowArticle:
    """An article of a briefing window, with only the fields a briefing needs."""

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
