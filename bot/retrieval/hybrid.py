"""The retriever the engine uses: time words, spelling variants, BM25 and/or dense, fused.

BM25 and dense lists are merged with reciprocal rank fusion, score = sum 1/(k + rank), which
needs no score calibration between cosines and BM25. Every passage's `coverage` (the share of
the question's IDF weight it contains) is computed lexically whatever list found it, because
the extractive answer abstains on low coverage.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.models import Passage, SearchFilters
from bot.retrieval.bm25 import Retriever, SearchResult
from bot.retrieval.query import QueryTerms, analyze
from bot.retrieval.recency import Recency
from bot.retrieval.timewords import TimeQuery, parse_time_words
from bot.retrieval.variants import GroupedQueryTerms, expand
from bot.store.articles import ArticleRepository
from bot.store.search import passage_from_row
from bot.store.timefmt import utcnow
from bot.text.words import STOPWORDS, stem, words

if TYPE_CHECKING:
    from bot.retrieval.dense import DenseIndex

# A corpus with nothing newer than this is "stale": time words refer to its newest article.
STALE_AFTER = timedelta(days=7)
# Weight of the recency list fused in for "latest …" questions (1.0 = as strong as BM25).
RECENCY_WEIGHT = 0.5

# "title:Carney" is FTS5 column syntax a power user may type; the words after it are the query.
_COLUMN_PREFIX = re.compile(r"\b(?:title|text)\s*:", re.IGNORECASE)


def _when(p: Passage) -> float:
    when = p.published_at or p.ingested_at
    return when.timestamp() if when else 0.0


def _within(p: Passage, since: datetime | None, until: datetime | None) -> bool:
    when = p.published_at
    if when is None:
        return False
    return (since is None or when >= since) and (until is None or when <= until)


def _stem_set(text: str) -> set[str]:
    """Distinct stems of a text, stemming each distinct word once."""
    return {stem(w) for w in set(words(text))}


Ranked = list[tuple[int, float]]


class AnyTerms(QueryTerms):
    """A question that is only a time: every sentence of the window's articles answers it."""

    def soft_coverer(self) -> Callable[[set[str], dict[str, float]], float]:
        return lambda present, soft: 1.0


def rrf(lists: list[Ranked], k: float, weights: list[float] | None = None) -> dict[int, float]:
    """Reciprocal rank fusion of (id, score) lists sorted best first; equal scores share a rank."""
    fused: dict[int, float] = {}
    for i, ranked in enumerate(lists):
        w = weights[i] if weights else 1.0
        rank = 0
        previous: float | None = None
        for position, (item, score) in enumerate(ranked, start=1):
            if score != previous:
                rank, previous = position, score
            fused[item] = fused.get(item, 0.0) + w / (k + rank)
    return fused


def _intersect(filters: SearchFilters | None, tq: TimeQuery) -> SearchFilters | None:
    if not tq.has_window:
        return filters
    base = filters or SearchFilters()
    since = max(d for d in (base.since, tq.since) if d is not None) if tq.since else base.since
    until = min(d for d in (base.until, tq.until) if d is not None) if tq.until else base.until
    return base.model_copy(update={"since": since, "until": until})


class HybridRetriever:
    def __init__(
        self,
        articles: ArticleRepository,
        settings: Settings,
        bm25: Retriever,
        dense: DenseIndex | None,
    ) -> None:
        self.articles = articles
        self.settings = settings
        self.bm25 = bm25
        self.dense = dense

    @property
    def mode(self) -> str:
        return self.settings.retrieval.mode if self.dense is not None else "bm25"

    def reference_time(
        self, now: datetime | None = None, until: datetime | None = None
    ) -> datetime:
        """What "today" means: the asker's `until` when it is in the past (they look from
        then), else now, or the newest article when the corpus has nothing from the last week."""
        now = now or utcnow()
        if until is not None and until < now:
            return until
        if self.settings.retrieval.recency_reference == "now":
            return now
        newest = self.articles.newest_published()
        if newest is None:
            return now
        if self.settings.retrieval.recency_reference == "corpus" or newest < now - STALE_AFTER:
            return newest
        return now

    def search(
        self,
        question: str,
        k: int | None = None,
        filters: SearchFilters | None = None,
        *,
        now: datetime | None = None,
        time_scope: bool = True,
        context: Collection[str] = (),
    ) -> SearchResult:
        """Passages for `question`; its time words ("this week") filter unless `time_scope`
        is off (the time words are then only a preference for newer articles). `context`:
        words carried from earlier turns, weighed lightly."""
        k = k or self.settings.answers.top_k
        until = filters.until if filters else None
        reference = self.reference_time(now, until)
        result = self._scoped(question, k, filters, reference, time_scope, context)
        return replace(result, reference=reference)

    def _scoped(
        self,
        question: str,
        k: int,
        filters: SearchFilters | None,
        reference: datetime,
        time_scope: bool,
        context: Collection[str],
    ) -> SearchResult:
        tq = parse_time_words(question, reference)
        if not tq.has_window and not tq.prefer_recent:
            return self._search(
                question, k, filters, prefer_recent=False, context=context, reference=reference
            )
        if tq.absolute:
            window = (tq.since, tq.until)
            result = self._search(
                tq.text, k, filters, prefer_recent=tq.prefer_recent, boost=window, context=context
            )
            return replace(result, time_phrase=tq.phrase, window=window, time_filter=False)
        if not tq.has_window:
            return self._search(
                tq.text, k, filters, prefer_recent=True, context=context, reference=reference
            )
        if time_scope:
            scoped = _intersect(filters, tq)
            result = self._search(
                tq.text,
                k,
                scoped,
                prefer_recent=tq.prefer_recent,
                context=context,
                reference=reference,
            )
            if result.passages:
                return replace(result, time_phrase=tq.phrase, window=(tq.since, tq.until))
        result = self._search(
            tq.text, k, filters, prefer_recent=True, context=context, reference=reference
        )
        return replace(result, time_phrase=tq.phrase, window=(tq.since, tq.until), relaxed=True)

    def _search(
        self,
        question: str,
        k: int,
        filters: SearchFilters | None,
        *,
        prefer_recent: bool,
        boost: tuple[datetime | None, datetime | None] | None = None,
        context: Collection[str] = (),
        reference: datetime | None = None,
    ) -> SearchResult:
        only_time = not any(w not in STOPWORDS for w in words(question))
        if only_time and (prefer_recent or (filters and (filters.since or filters.until))):
            return self._newest(question, k, filters)
        expanded, query = expand(_COLUMN_PREFIX.sub(" ", question))
        # one list and nothing to re-rank it by: its top k is the fused top k
        alone = self.mode == "bm25" and not prefer_recent and boost is None
        depth = k if alone else max(self.settings.retrieval.fusion_depth, k)
        # news: an older article leads only when it matches clearly better
        decay = self.settings.retrieval.recency_decay
        recency = Recency(reference, decay) if reference is not None and decay else None
        lexical = self.bm25.search(expanded, k=depth, filters=filters, recency=recency)
        query.weights = lexical.query.weights
        query.in_corpus = self.bm25.known_terms(query.stems)
        query.context = {stem(w) for w in context}
        by_id = {p.chunk_id: p for p in lexical.passages}
        lists: list[Ranked] = []
        if self.mode != "dense":
            lists.append([(p.chunk_id, p.score) for p in lexical.passages])
        if self.mode != "bm25" and self.dense is not None:
            hits = self.dense.search(question, depth, filters)
            lists.append(hits)
            self._fetch(by_id, [cid for cid, _ in hits])
        weights = [1.0] * len(lists)
        if len(lists) == 2:
            weights[1] = self.settings.retrieval.dense_weight
        if prefer_recent:
            pool = sorted(by_id.values(), key=lambda p: (-_when(p), p.chunk_id))
            lists.append([(p.chunk_id, _when(p)) for p in pool])
            weights.append(RECENCY_WEIGHT)
        fused = rrf(lists, self.settings.retrieval.rrf_k, weights)
        if boost is not None:
            for cid in fused:
                if _within(by_id[cid], *boost):
                    fused[cid] += 1.0 / (self.settings.retrieval.rrf_k + 1)
        ranked = sorted(fused.items(), key=lambda f: (-f[1], -_when(by_id[f[0]]), f[0]))
        passages = []
        cover = query.key_coverer()
        for cid, score in ranked[:k]:  # coverage does not change the order: only the kept
            p = by_id[cid]
            present = lexical.present.get(cid)
            if present is None:  # found by the dense list only
                present = _stem_set(p.title) | _stem_set(p.text)
            passages.append(p.model_copy(update={"score": score, "coverage": cover(present)}))
        return SearchResult(query=query, passages=passages)

    def read_articles(self, result: SearchResult, articles: int, per_article: int) -> list[Passage]:
        """The passages of the result's best `articles` articles, best article first: the
        retrieved ones, then up to `per_article` in all with the article's other passages that
        cover most of the question (in reading order), so an answer can come from any part of
        a relevant article, not only from the passage that matched best."""
        order = list(dict.fromkeys(p.article_id for p in result.passages))[:articles]
        query = result.query
        if not order or not isinstance(query, GroupedQueryTerms):
            return result.passages
        retrieved: dict[int, list[Passage]] = {a: [] for a in order}
        for p in result.passages:
            if p.article_id in retrieved:
                retrieved[p.article_id].append(p)
        others: dict[int, list[Passage]] = {a: [] for a in order}
        have = {p.chunk_id for p in result.passages}
        cover = query.key_coverer()
        for row in self.bm25.index.article_passages(order):
            if row.chunk_id not in have:
                present = _stem_set(row.title) | _stem_set(row.text)
                others[row.article_id].append(passage_from_row(row, coverage=cover(present)))
        out: list[Passage] = []
        for a in order:
            room = max(per_article - len(retrieved[a]), 0)
            extra = sorted(others[a], key=lambda p: (-p.coverage, p.ordinal))[:room]
            out += retrieved[a] + sorted(extra, key=lambda p: p.ordinal)
        return out

    def _fetch(self, by_id: dict[int, Passage], ids: list[int]) -> None:
        wanted = [cid for cid in ids if cid not in by_id]
        if not wanted:
            return
        for row in self.bm25.index.passages(wanted):
            by_id[row.chunk_id] = passage_from_row(row)

    def _newest(self, question: str, k: int, filters: SearchFilters | None) -> SearchResult:
        """A question that is only a time ("what happened yesterday?"): the newest leads."""
        rows = self.bm25.index.newest_leads(filters, k)
        passages = [
            passage_from_row(r, score=1.0 / (i + 1), coverage=1.0) for i, r in enumerate(rows)
        ]
        base = analyze(question)
        return SearchResult(
            query=AnyTerms(stems=base.stems, surface=base.surface), passages=passages
        )
