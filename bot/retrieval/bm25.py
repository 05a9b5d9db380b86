"""BM25 over the postings index, exact: every passage holding a query term is scored.

(A store without the postings index, PostgreSQL today, is searched through its own
full-text index by `bot.retrieval.candidates`, with the same BM25.)

The IDF is Lucene's log(1 + (N - df + .5)/(df + .5)), which stays positive (FTS5's clamps
common terms to ~0, which ruins ranking on small corpora); title words count `title_weight`
times. Term statistics come from the index (`bot.store.postings`), which follows the store,
so a question costs array arithmetic over the matching postings and one query for the
winning passages' rows.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.config import Settings
from bot.models import Passage, SearchFilters
from bot.retrieval.query import QueryTerms, analyze
from bot.retrieval.recency import Recency
from bot.store.postings import Postings
from bot.store.search import passage_from_row

if TYPE_CHECKING:
    from bot.retrieval.candidates import CandidateRetriever
    from bot.store.port import Store
    from bot.store.postings import IndexView, PostingsIndex

K1 = 1.2
B = 0.75
# Lucene's classic "coord": a passage's BM25 is scaled by the share of the question's terms it
# holds (to this power; 0 turns it off), so a title repeating two of the question's names
# does not outrank a text holding all of its words.
COORD = 1.0
# A common term's postings (this many or more) keep their BM25 parts between questions, up
# to CACHE_BYTES in all: common words recur in most questions, and their long lists are most
# of a question's work.
CACHE_MIN_POSTINGS = 10_000
CACHE_BYTES = 32 * 2**20
# Scratch arrays kept for reuse (one per question searched at the same time).
SPARE_SCRATCH = 4
# np.add.at takes its fast path only when the value has the array's type
ONE = np.uint8(1)
# A store without the postings index applies a recency preference to this many of its best
# passages (the index applies it to every passage, before taking the best).
RECENCY_DEPTH = 50


@dataclass
class SearchResult:
    """Passages for a question, and how its time words scoped the search.

    `window` is what the time phrase meant; `time_filter` False means it only boosted
    articles of that time; `relaxed` means the filter found nothing and was dropped.
    """

    query: QueryTerms
    passages: list[Passage]
    time_phrase: str | None = None
    window: tuple[datetime | None, datetime | None] | None = None
    time_filter: bool = True
    relaxed: bool = False
    reference: datetime | None = None  # what "today" meant
    # the query stems each passage holds (title or text), by chunk id
    present: dict[int, set[str]] = field(default_factory=dict)


@dataclass
class _Parts:
    """A term's postings with the parts of its BM25 that do not depend on the question:
    the weighted term frequency and the denominator (tf + the row's length norm)."""

    postings: Postings
    tf: np.ndarray
    denom: np.ndarray
    kept: bool = False  # held between questions: its term's contributions are kept too
    _scaled: tuple[float, np.ndarray] | None = None

    def contributions(self, weight: float) -> np.ndarray:
        """Each posting's BM25 for a term of IDF `weight` (a term's weight only changes
        with the index, so a kept term computes it once)."""
        scaled = self._scaled
        if scaled is not None and scaled[0] == weight:
            return scaled[1]
        values = weight * self.tf * (K1 + 1) / self.denom
        if self.kept:
            self._scaled = (weight, values)
        return values


@dataclass
class _Hit:
    chunk_id: int
    score: float
    present: set[str]


class Retriever:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.index = store.search
        self.settings = settings
        self._norms: tuple[int, float, np.ndarray] | None = None
        self._common: tuple[tuple[int, float], dict[str, _Parts]] = ((-1, 0.0), {})
        self._spare: list[tuple[np.ndarray, np.ndarray]] = []  # zeroed scratch arrays
        self._spare_lock = threading.Lock()
        # the last question's document frequencies (known_terms follows a search)
        self._last_dfs: tuple[int, dict[str, int]] | None = None
        self._fallback: CandidateRetriever | None = None
        if not store.has_postings:
            from bot.retrieval.candidates import CandidateRetriever

            self._fallback = CandidateRetriever(store.search, settings)

    @property
    def postings(self) -> PostingsIndex:
        return self.store.postings

    def known_terms(self, stems: list[str]) -> set[str]:
        """The stems that occur somewhere in the corpus."""
        if self._fallback is not None:
            return self._fallback.known_terms(stems)
        view = self.postings.view
        last = self._last_dfs
        if last is not None and last[0] == view.version and all(s in last[1] for s in stems):
            return {s for s in stems if last[1][s]}
        return set(view.doc_freqs(stems))

    def search(
        self,
        question: str,
        k: int | None = None,
        filters: SearchFilters | None = None,
        recency: Recency | None = None,
    ) -> SearchResult:
        """The k best passages by BM25 (divided by `recency`'s divisor when given)."""
        k = k or self.settings.answers.top_k
        if self._fallback is not None:
            if recency is None:
                return self._fallback.search(question, k, filters)
            best = self._fallback.search(question, max(k, RECENCY_DEPTH), filters)
            aged = [
                p.model_copy(update={"score": p.score / recency.divisor(p)}) for p in best.passages
            ]
            aged.sort(key=lambda p: -p.score)  # stable: equal scores keep the newer first
            return SearchResult(query=best.query, passages=aged[:k], present=best.present)
        query = analyze(question)
        if not query.stems:
            return SearchResult(query=query, passages=[])
        self.postings.sync()
        index = self.postings.view
        parts = self._parts(index, query.stems)
        found = {s: p.postings if p is not None else None for s, p in parts.items()}
        dfs = {s: int(p.rows.size) for s, p in found.items() if p is not None}
        self._last_dfs = (index.version, {s: dfs.get(s, 0) for s in query.stems})
        query.weights = lucene_idf(query, dfs, index.documents)
        hits = self._rank(index, query, parts, k, filters, recency)
        rows = {r.chunk_id: r for r in self.index.passages([h.chunk_id for h in hits])}
        total = query.total_weight
        passages = [
            passage_from_row(
                rows[h.chunk_id],
                h.score,
                sum(query.weights[s] for s in h.present) / total if total > 0 else 0.0,
            )
            for h in hits
            if h.chunk_id in rows  # deleted since the index caught up
        ]
        return SearchResult(
            query=query,
            passages=passages,
            present={h.chunk_id: h.present for h in hits},
        )

    def _rank(
        self,
        index: IndexView,
        query: QueryTerms,
        found: dict[str, _Parts | None],
        k: int,
        filters: SearchFilters | None,
        recency: Recency | None = None,
    ) -> list[_Hit]:
        """The k best rows by (score, newer, lower id), with the query stems each holds."""
        held = [(s, parts) for s, parts in found.items() if parts is not None]
        if not held:
            return []
        terms = [(s, parts.postings) for s, parts in held]
        scores, overlap = self._take_scratch(index.ids.size)
        saturate = len(terms) >= 255  # counts are bytes (their bool view is a fast mask)
        rows: np.ndarray | None = None
        try:
            for s, parts in held:
                p = parts.postings
                # add.at adds in order, as `scores[rows] +=` would (rows are distinct)
                np.add.at(scores, p.rows, parts.contributions(query.weights[s]))
                if saturate:
                    overlap[p.rows] = np.minimum(overlap[p.rows], 254) + 1
                else:
                    np.add.at(overlap, p.rows, ONE)
            rows = np.flatnonzero(overlap.view(bool))
            best = scores[rows]
            if COORD:  # times the overlap here; divided by the question's terms once ranked
                best *= overlap[rows] if COORD == 1 else overlap[rows].astype(float) ** COORD
        finally:  # leave the scratch arrays zeroed for the next question
            clean = slice(None) if rows is None else rows
            scores[clean], overlap[clean] = 0.0, 0
            self._give_back(scores, overlap)
        keep = self._allowed(index, rows, filters)
        if keep is not None:
            rows, best = rows[keep], best[keep]
        if recency is not None:
            if rows.size > k:  # only a row within the decay's reach of the k-th can enter
                kth = np.partition(best, best.size - k)[best.size - k]
                near = best >= kth / recency.ceiling
                rows, best = rows[near], best[near]
            best = best / recency.divisors(index.when[rows])
        if rows.size > k:
            kth = np.partition(best, best.size - k)[best.size - k]
            top = best >= kth  # ties at the k-th score are ordered below
            rows, best = rows[top], best[top]
        order = np.lexsort((index.ids[rows], -index.when[rows], -best))[:k]
        rows, best = rows[order], best[order]
        if COORD:
            best = best * coord(1, len(query.stems))
        present: list[set[str]] = [set() for _ in range(rows.size)]
        for s, p in terms:
            at = np.searchsorted(p.rows, rows)
            holds = p.rows[np.minimum(at, p.rows.size - 1)] == rows
            for i in np.flatnonzero(holds).tolist():
                present[i].add(s)
        return [
            _Hit(int(cid), float(score), have)
            for cid, score, have in zip(
                index.ids[rows].tolist(), best.tolist(), present, strict=True
            )
        ]

    def _parts(self, index: IndexView, terms: list[str]) -> dict[str, _Parts | None]:
        """Each term's postings and BM25 parts (None: found nowhere), the ones not kept
        looked up together; a common term's are kept for the next questions while the index
        and its average length stay as they are."""
        norms = self._norms_for(index)
        key = (index.version, index.average_length())
        held_for, common = self._common
        if held_for != key:
            common = {}
            self._common = (key, common)
        found: dict[str, _Parts | None] = {t: common.get(t) for t in terms}
        missing = [t for t, parts in found.items() if parts is None]
        if not missing:
            return found
        batch, offsets = index.postings_of(missing)
        tf = self.settings.retrieval.title_weight * batch.title_tf + batch.text_tf
        denom = tf + norms[batch.rows]
        for j, term in enumerate(missing):
            at = slice(offsets[j], offsets[j + 1])
            size = at.stop - at.start
            if not size:
                continue
            p = Postings(batch.rows[at], batch.title_tf[at], batch.text_tf[at])
            parts = found[term] = _Parts(p, tf[at], denom[at])
            if size < CACHE_MIN_POSTINGS:
                continue
            # rows (int64), tf, denominator, BM25 (float64)
            held = sum(32 * int(c.postings.rows.size) for c in common.values())
            if held + 32 * size <= CACHE_BYTES:  # copied: apart from this question's arrays
                kept = Postings(p.rows.copy(), p.title_tf.copy(), p.text_tf.copy())
                parts = _Parts(kept, parts.tf.copy(), parts.denom.copy(), kept=True)
                found[term] = common[term] = parts
        return found

    def _take_scratch(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Zeroed arrays of scores and of how many query terms each row holds, reused: no
        allocation per question, and the same (cache-warm) arrays whichever thread asks
        (the bot's questions hop between worker threads), new ones only for a concurrent
        question."""
        with self._spare_lock:
            while self._spare:
                scores, overlap = self._spare.pop()
                if scores.size == size:
                    return scores, overlap
        return np.zeros(size), np.zeros(size, np.uint8)

    def _give_back(self, scores: np.ndarray, overlap: np.ndarray) -> None:
        with self._spare_lock:
            if len(self._spare) < SPARE_SCRATCH:
                self._spare.append((scores, overlap))

    def _allowed(
        self, index: IndexView, rows: np.ndarray, filters: SearchFilters | None
    ) -> np.ndarray | None:
        """Which rows are within the filters' dates (published, else ingested) and source."""
        if filters is None:
            return None
        keep = index.within(rows, filters.since, filters.until)
        if filters.source:
            allowed = np.asarray(self.index.chunk_ids_from(filters.source), dtype=np.int64)
            keep &= np.isin(index.ids[rows], allowed)
        return keep

    def _norms_for(self, index: IndexView) -> np.ndarray:
        """BM25's length normalisation of every row, kept while the index is unchanged."""
        avgdl = index.average_length()
        cached = self._norms
        if cached is None or cached[0] != index.version or cached[1] != avgdl:
            norms = K1 * (1 - B + B * np.maximum(index.lengths, 1) / avgdl)
            self._norms = cached = (index.version, avgdl, norms)
        return cached[2]


def coord(overlap: Any, terms: int) -> Any:
    """Lucene's coord: the share of the question's `terms` a passage holds (`overlap`, a
    count or an array of counts), to the power `COORD`."""
    share = overlap / max(terms, 1)
    return share if COORD == 1 else share**COORD


def lucene_idf(query: QueryTerms, dfs: dict[str, int], n_chunks: int) -> dict[str, float]:
    """Lucene IDF; a term absent from the corpus weighs as much as a term seen once."""
    n = max(n_chunks, 1)
    return {
        s: math.log(1 + (n - max(dfs.get(s, 0), 1) + 0.5) / (max(dfs.get(s, 0), 1) + 0.5))
        for s in query.stems
    }
