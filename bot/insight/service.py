"""The insight operations the engine offers: timelines and trends over the store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.errors import BriefbotError
from bot.insight.models import Timeline, Trend
from bot.insight.timeline import Development, build_timeline, developments, select
from bot.insight.topic import matching_ids, topic_words, window
from bot.insight.trend import caption, topic_trend
from bot.store.port import Store
from bot.store.records import WindowArticle

# Beyond this many articles a timeline reads an even sample across the window.
MAX_TIMELINE_ARTICLES = 3000
MAX_TREND_TOPICS = 6
MAX_TREND_DAYS = 731  # one value per day: two years stay readable and cheap


class InsightService:
    def __init__(self, store: Store) -> None:
        self.topics = store.topics
        self.alternates = store.alternates

    def timeline_draft(
        self,
        topic: str,
        since: datetime | None = None,
        until: datetime | None = None,
        max_events: int = 10,
    ) -> tuple[Timeline, list[Development]]:
        """The extractive timeline and the developments behind it (for an LLM to rewrite)."""
        start, end = window(self.topics, since, until)
        ids = matching_ids(self.topics, topic, start, end, lenient=True)
        sampled = _even_sample(ids, MAX_TIMELINE_ARTICLES)
        articles: list[WindowArticle] = self.topics.articles(sampled)
        found = developments(articles, topic_words(topic), self.alternates.for_articles(sampled))
        chosen = select(found, max_events)
        timeline = build_timeline(topic, start, end, articles, chosen)
        if not chosen:
            first, last = start.date().isoformat(), end.date().isoformat()
            timeline.note = f"Nothing about “{topic}” from {first} to {last}."
        elif len(ids) > len(sampled):
            timeline.note = (
                f"Read {len(sampled):,} of {len(ids):,} articles, spread over the window."
            )
        timeline.articles = len(ids)
        return timeline, chosen

    def trend(
        self, topics: Sequence[str], since: datetime | None = None, until: datetime | None = None
    ) -> Trend:
        """Articles per day for each topic (every word of it mentioned), on shared days."""
        if not topics:
            raise ValueError("no topic")
        start, end = window(self.topics, since, until)
        if (end - start).days > MAX_TREND_DAYS:
            raise BriefbotError(
                f"a trend covers at most {MAX_TREND_DAYS} days; narrow --since/--until"
            )
        series = []
        for topic in list(dict.fromkeys(topics))[:MAX_TREND_TOPICS]:
            ids = matching_ids(self.topics, topic, start, end, lenient=False)
            publications = self.topics.publications(ids)
            copies = self.alternates.for_articles(ids)
            series.append(topic_trend(topic, publications, copies, start, end))
        trend = Trend(since=start, until=end, topics=series)
        trend.caption = caption(trend)
        return trend


def _even_sample(ids: list[int], limit: int) -> list[int]:
    """All ids, or `limit` of them evenly spaced (ids grow with ingest time, not news time)."""
    if len(ids) <= limit:
        return ids
    step = len(ids) / limit
    return [ids[int(i * step)] for i in range(limit)]
