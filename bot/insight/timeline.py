"""Timelines: a topic's developments in time order, one cited line each.

1. The window's articles about the topic (see `topic.py`), oldest first.
2. Each article, in time order, either reports a development already seen (TF-IDF cosine of
   its title and lead, with the topic's own words left out since every article shares
   them, at least `SAME_DEVELOPMENT` to that development's first report) or starts a new
   one. So a development is its first report plus the later ones repeating it, and wire
   copies collapse into it like any repetition (copies stored as alternates count too).
3. The developments most outlets carried are kept (at most `max_events`), in time order,
   each as its first report's headline, citing it, with "+N outlets".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from bot.answer.citations import SourceBook
from bot.briefing.builder import clean_headline
from bot.briefing.terms import article_terms, terms
from bot.briefing.vectors import TfIdf
from bot.insight.models import Timeline, TimelineEvent
from bot.models import AlternateSource
from bot.store.alternates import outlet_name
from bot.store.topics import TopicArticle

SAME_DEVELOPMENT = 0.2
MAX_EVENTS = 10
MIN_TITLE_CHARS = 25


@dataclass
class Development:
    """A first report and the articles that repeated it later."""

    first: TopicArticle
    members: list[TopicArticle] = field(default_factory=list)
    outlets: set[str] = field(default_factory=set)

    @property
    def line(self) -> str:
        return event_text(self.first)


def outlet(article: TopicArticle) -> str:
    return outlet_name(article.source, article.url)


def event_text(article: TopicArticle) -> str:
    """The report's headline (its outlet's suffix dropped), or its first sentence when the
    headline says too little."""
    headline = clean_headline(article.title, outlet(article))
    if len(headline) >= MIN_TITLE_CHARS or not article.text:
        return headline
    first = article.text.split(". ")[0].strip()
    return first if len(first) > len(headline) else headline


def developments(
    articles: list[TopicArticle],
    topic_words: list[str],
    copies: dict[int, list[AlternateSource]] | None = None,
    *,
    threshold: float = SAME_DEVELOPMENT,
) -> list[Development]:
    """Group `articles` (oldest first) into developments, in order of their first report."""
    if not articles:
        return []
    common = set(terms(" ".join(topic_words)))
    docs = [[t for t in article_terms(a.title, a.text) if t not in common] for a in articles]
    vectors = TfIdf(docs).matrix(docs)
    similar = (vectors @ vectors.T).tocsr()
    head_of = np.full(len(articles), -1)  # article index → its development, if it is a head
    found: list[Development] = []
    for i, article in enumerate(articles):
        row = similar.getrow(i)
        heads = head_of[row.indices]
        earlier = (heads >= 0) & (row.indices < i) & (row.data >= threshold)
        if earlier.any():
            best = int(np.argmax(np.where(earlier, row.data, -1.0)))
            target = found[int(heads[best])]
        else:
            target = Development(first=article)
            head_of[i] = len(found)
            found.append(target)
        target.members.append(article)
        target.outlets.add(outlet(article))
        for copy in (copies or {}).get(article.id, []):
            target.outlets.add(outlet_name(copy.source, copy.url))
    return found


def select(found: list[Development], max_events: int = MAX_EVENTS) -> list[Development]:
    """The developments most outlets reported (ties: the earlier), back in time order."""
    ranked = sorted(
        range(len(found)),
        key=lambda i: (-len(found[i].outlets), -len(found[i].members), i),
    )
    return [found[i] for i in sorted(ranked[:max_events])]


def build_timeline(
    topic: str,
    since: datetime,
    until: datetime,
    articles: list[TopicArticle],
    chosen: list[Development],
) -> Timeline:
    """The extractive timeline: each development's first report, cited, oldest first."""
    book = SourceBook()
    events = []
    for dev in chosen:
        text = dev.line
        n = book.cite(dev.first.passage(text))
        events.append(
            TimelineEvent(
                date=dev.first.when.date(),
                at=dev.first.when,
                text=text,
                citations=[n],
                more_outlets=max(len(dev.outlets) - 1, 0),
            )
        )
    return Timeline(
        topic=topic,
        since=since,
        until=until,
        events=events,
        sources=book.sources(),
        articles=len(articles),
    )
