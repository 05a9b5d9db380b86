"""Timelines: a topic's developments in time order, one cited line each.

1. The window's articles about the topic (see `topic.py`), oldest first.
2. Each article, in time order, either reports a development already seen (TF-IDF cosine of
   its title and lead, with the topic's own words left out since every article shares
   them, at least `SAME_DEVELOPMENT` to that development's first report) or starts a new
   one. So a development is its first report plus the later ones repeating it, and wire
   copies collapse into it like any repetition (copies stored as alternates count too).
3. Only the `CANDIDATES` developments most outlets carried are looked at further. Each gets a
   centroid (the mean of its articles' vectors) and a relevance: the cosine of that centroid
   with the centroid of the topic's core, the articles whose title and lead name every word
   of the topic. A development none of whose articles names the whole topic in its title or
   lead, and whose relevance is below `RELATED` times the best, is only loosely related (a
   live blog that mentions two of the three words) and is left out. Relevance alone would
   also drop real news: a new development brings new words.
4. Developments that repeat each other are joined bottom-up, the most alike first: their
   centroids (article-weighted) at least `REPEATS` alike and all their first reports within
   `REPEAT_HOURS` of each other ("hundreds killed in strike on hospital" / "hospital blast
   kills hundreds", the same evening). Days later, similar words are the story moving on
   ("talks to bring him back" / "he returns"), so nothing is joined across more than those
   hours. A group shows its earliest first report (the first report of the fact) and
   counts every outlet of the group.
5. The `max_events` groups most outlets carried are kept, in time order, each as its first
   report's headline, citing it, with "+N outlets".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from scipy import sparse

from bot.answer.citations import SourceBook
from bot.briefing.builder import clean_headline
from bot.briefing.terms import article_terms, terms
from bot.briefing.vectors import TfIdf
from bot.insight.models import Timeline, TimelineEvent
from bot.models import AlternateSource
from bot.store.alternates import outlet_name
from bot.store.records import WindowArticle

SAME_DEVELOPMENT = 0.2
REPEATS = 0.3
REPEAT_HOURS = 6
RELATED = 0.45
CANDIDATES = 60  # developments looked at for a timeline, the widest-reported first
MAX_EVENTS = 10
MIN_TITLE_CHARS = 25


@dataclass
class Development:
    """A first report and the articles that repeated it later."""

    first: WindowArticle
    members: list[WindowArticle] = field(default_factory=list)
    outlets: set[str] = field(default_factory=set)
    rows: list[int] = field(default_factory=list)  # the members' places in the article list
    centroid: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    relevance: float = 0.0
    names_topic: bool = False  # an article of it names every topic word in its title or lead

    @property
    def line(self) -> str:
        return event_text(self.first)


def event_text(article: WindowArticle) -> str:
    """The report's headline (its outlet's suffix dropped), or its first sentence when the
    headline says too little."""
    headline = clean_headline(article.title, article.outlet)
    if len(headline) >= MIN_TITLE_CHARS or not article.text:
        return headline
    first = article.text.split(". ")[0].strip()
    return first if len(first) > len(headline) else headline


def developments(
    articles: list[WindowArticle],
    topic_words: list[str],
    copies: dict[int, list[AlternateSource]] | None = None,
    *,
    threshold: float = SAME_DEVELOPMENT,
) -> list[Development]:
    """Group `articles` (oldest first) into developments, in order of their first report."""
    if not articles:
        return []
    common = set(terms(" ".join(topic_words)))
    full = [article_terms(a.title, a.text) for a in articles]
    docs = [[t for t in doc if t not in common] for doc in full]
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
        target.rows.append(i)
        target.outlets.add(article.outlet)
        for copy in (copies or {}).get(article.id, []):
            target.outlets.add(outlet_name(copy.source, copy.url))
    core = [i for i, doc in enumerate(full) if common <= set(doc)] or list(range(len(articles)))
    topic_centre = _centroid(vectors, core)
    in_core = set(core)
    for dev in _widest(found, CANDIDATES):
        dev.centroid = _centroid(vectors, dev.rows)
        dev.relevance = float(dev.centroid @ topic_centre)
        dev.names_topic = any(row in in_core for row in dev.rows)
    return found


def _widest(found: list[Development], n: int) -> list[Development]:
    """The `n` developments most outlets reported (ties: more articles, then the earlier)."""
    order = sorted(
        range(len(found)), key=lambda i: (-len(found[i].outlets), -len(found[i].members), i)
    )
    return [found[i] for i in order[:n]]


def _centroid(vectors: sparse.csr_matrix, rows: list[int]) -> np.ndarray:
    centre = np.asarray(vectors[rows].mean(axis=0), dtype=np.float32).ravel()
    norm = float(np.linalg.norm(centre))
    return centre / norm if norm > 0 else centre


def select(
    found: list[Development],
    max_events: int = MAX_EVENTS,
    *,
    repeats: float = REPEATS,
    related: float = RELATED,
) -> list[Development]:
    """The widest-reported developments about the topic, repeats folded in, in time order."""
    pool = [dev for dev in _widest(found, CANDIDATES) if dev.centroid.size]
    if not pool:
        return []
    best = max(dev.relevance for dev in pool)
    pool = [dev for dev in pool if dev.names_topic or dev.relevance >= related * best]
    chosen = [_folded(group) for group in _repeat_groups(pool, repeats)]
    chosen.sort(key=lambda dev: (-len(dev.outlets), -len(dev.members), dev.first.when))
    return sorted(chosen[:max_events], key=lambda dev: (dev.first.when, dev.first.id))


def _repeat_groups(pool: list[Development], threshold: float) -> list[list[Development]]:
    """Developments that repeat each other, joined bottom-up: the two most alike groups
    first (cosine of their article-weighted centroids at least `threshold`), as long as a
    group's first reports stay within `REPEAT_HOURS` of each other."""
    groups = [[i] for i in range(len(pool))]
    sums = [dev.centroid * len(dev.rows) for dev in pool]
    span = timedelta(hours=REPEAT_HOURS)

    def cosine(a: int, b: int) -> float:
        x, y = sums[a], sums[b]
        norms = float(np.linalg.norm(x) * np.linalg.norm(y))
        return float(x @ y) / norms if norms > 0 else 0.0

    def joinable(a: int, b: int) -> bool:
        times = [pool[i].first.when for i in groups[a] + groups[b]]
        return max(times) - min(times) <= span

    while True:
        pairs = [
            (cosine(a, b), a, b)
            for a in range(len(groups))
            for b in range(a + 1, len(groups))
            if groups[a] and groups[b] and joinable(a, b)
        ]
        best = max(pairs, default=None)
        if best is None or best[0] < threshold:
            break
        _, a, b = best
        groups[a] = sorted(groups[a] + groups[b])
        sums[a] = sums[a] + sums[b]
        groups[b] = []
    return [[pool[i] for i in group] for group in groups if group]


def _folded(group: list[Development]) -> Development:
    """One development for the group: its earliest first report (the first report of the
    fact), counting every article and outlet of the group."""
    if len(group) == 1:
        return group[0]
    head = min(group, key=lambda dev: (dev.first.when, dev.first.id))
    members = sorted((m for dev in group for m in dev.members), key=lambda a: (a.when, a.id))
    return Development(
        first=head.first,
        members=members,
        outlets=set().union(*(dev.outlets for dev in group)),
        rows=[r for dev in group for r in dev.rows],
        centroid=head.centroid,
        relevance=head.relevance,
        names_topic=any(dev.names_topic for dev in group),
    )


def build_timeline(
    topic: str,
    since: datetime,
    until: datetime,
    articles: list[WindowArticle],
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
