"""A retrieved passage for tests of the answer steps that take passages, not a store."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.models import Passage

INGESTED = datetime(2023, 10, 20, tzinfo=UTC)


def make_passage(
    text: str,
    *,
    article_id: int = 1,
    chunk_id: int | None = None,
    title: str = "Title",
    source: str | None = None,
    published_at: datetime | None = None,
    ingested_at: datetime = INGESTED,
    score: float = 0.0,
) -> Passage:
    return Passage(
        chunk_id=article_id if chunk_id is None else chunk_id,
        article_id=article_id,
        ordinal=0,
        text=text,
        start=0,
        end=len(text),
        title=title,
        url=None,
        source=source,
        published_at=published_at,
        ingested_at=ingested_at,
        score=score,
    )
