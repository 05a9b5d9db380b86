"""BM25 retrieval over the FTS5 index, rescored with a positive IDF.

FTS5's own bm25() clamps the IDF of any term found in half the rows or more to ~0, which
ruins ranking on small corpora (the one-article seed corpus has four passages). FTS5 picks
candidates quickly; we rescore them with the Lucene-style IDF log(1 + (N - df + .5)/(df + .5)),
which stays positive, and keep title words weighted higher.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bot.config import Settings
from bot.models import Passage, SearchFilters
from bot.retrieval.query import QueryTerms, analyze, fts_match
from bot.store.articles import filter_sql
from bot.store.db import Database
from bot.store.timefmt import from_db, required_time
from bot.text.words import counts_of, stem_prefix_pattern

K1 = 1.2
B = 0.75
# Terms this common are left out of the FTS5 candidate query when rarer ones exist.
COMMON_SHARE = 0.08
# FTS5 computes bm25() for every row its MATCH selects (~2 µs a row at 250k passages), so the
# candidate query OR-s only the rarest terms whose document frequencies sum to this many rows;
# the commoner terms still count when the candidates are rescored.
SCORED_ROWS_BUDGET = 3000
# Document frequencies kept in memory (see _doc_freqs) before the cache starts afresh.
DF_CACHE_TERMS = 100_000
# Below this many passages every term goes into the candidate query (it is cheap and exact).
SMALL_CORPUS = 1000

_ROW_COLUMNS = (
    "c.id, c.article_id, c.ordinal, c.start, c.end, c.text, c.words,"
    " a.title, a.url, a.source, a.published_at, a.ingested_at"
)


@dataclass
class Step:
    """One FTS5 candidate query: ranked by bm25, or the newest matches when not `ranked`."""

    match: str
    rows: int  # at most this many passages match
    ranked: bool = True
    fallback: bool = False


@dataclass
class SearchResult:
    query: QueryTerms
    passages: list[Passage]


class Retriever:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._df_cache: dict[str, int] = {}
        self._df_chunks = -1

    def _corpus(self) -> tuple[int, float]:
        chunks, total_words = self.db.query("SELECT chunks, words FROM corpus_stats")[0]
        return int(chunks), (total_words / chunks if chunks else 1.0)

    def _doc_freqs(self, stems: list[str], n_chunks: int) -> dict[str, int]:
        """Document frequencies of `stems` (absent ones left out), cached.

        fts5vocab counts a term's documents by walking its whole posting list (~1 ms for a
        term in 30k passages), so a long-running bot keeps the counts until the corpus
        changes size (an ingest or a delete).
        """
        if n_chunks != self._df_chunks or len(self._df_cache) > DF_CACHE_TERMS:
            self._df_cache, self._df_chunks = {}, n_chunks
        cache = self._df_cache
        missing = [s for s in stems if s not in cache]
        if missing:
            marks = ",".join("?" * len(missing))
            rows = self.db.query(
                f"SELECT term, doc FROM chunks_vocab WHERE term IN ({marks})", tuple(missing)
            )
            found = {str(term): int(doc) for term, doc in rows}
            for s in missing:
                cache[s] = found.get(s, 0)
        return {s: cache[s] for s in stems if cache.get(s, 0) > 0}

    def known_terms(self, stems: list[str]) -> set[str]:
        """The stems that occur somewhere in the corpus (from the same cached counts)."""
        return set(self._doc_freqs(stems, self._corpus()[0]))

    def search(
        self, question: str, k: int | None = None, filters: SearchFilters | None = None
    ) -> SearchResult:
        query = analyze(question)
        k = k or self.settings.answers.top_k
        if not query.stems:
            return SearchResult(query=query, passages=[])
        n_chunks, avgdl = self._corpus()
        dfs = self._doc_freqs(query.stems, n_chunks)
        rows = self._gather(self._match_plan(query, dfs, n_chunks), filters, k)
        wanted, pattern = set(query.stems), stem_prefix_pattern(query.stems)
        titles: dict[str, Counter[str]] = {}
        candidate_stems = []
        for row in rows:
            title_tf = titles.get(row[7])
            if title_tf is None:
                title_tf = titles[row[7]] = counts_of(wanted, pattern, row[7])
            candidate_stems.append((title_tf, counts_of(wanted, pattern, row[5])))
        for s in query.stems:
            seen = sum(1 for title, body in candidate_stems if s in title or s in body)
            dfs[s] = max(dfs.get(s, 0), seen)
        query.weights = self._idf(query, dfs, n_chunks)
        title_weight = self.settings.retrieval.title_weight
        scored = []
        for row, (title_tf, body_tf) in zip(rows, candidate_stems, strict=True):
            norm = K1 * (1 - B + B * max(int(row[6]), 1) / avgdl)
            score = 0.0
            present: set[str] = set()
            for s in query.stems:
                tf = title_weight * title_tf.get(s, 0) + body_tf.get(s, 0)
                if tf:
                    present.add(s)
                    score += query.weights[s] * tf * (K1 + 1) / (tf + norm)
            scored.append((-score, -_timestamp(row[10] or row[11]), row[0], row, present))
        scored.sort(key=lambda item: item[:3])
        passages = [
            passage_from_row(row, -neg_score, query.coverage(present))
            for neg_score, _, _, row, present in scored[:k]
        ]
        return SearchResult(query=query, passages=passages)

    def _match_plan(self, query: QueryTerms, dfs: dict[str, int], n_chunks: int) -> list[Step]:
        """The FTS5 candidate queries for a question, cheapest first.

        1. Passages holding every (not too common) term, AND-ed: few rows, and exactly the
           ones a long question such as a headline is after.
        2. The rarest terms whose document frequencies fit the scored-rows budget, OR-ed,
           for the rest of the candidate slots.
        3. Only when fewer than k were found: the rarest of the remaining terms alone.
        A step that could select more rows than the budget takes the newest matching
        passages instead of ranking them all. Terms in more than COMMON_SHARE of passages
        are left out when rarer ones remain. Small corpora OR every term, ranked.
        """
        words = [query.surface[s] for s in query.stems]
        if n_chunks < SMALL_CORPUS:
            return [Step(fts_match(words), n_chunks)]
        present = sorted((s for s in query.stems if dfs.get(s, 0) > 0), key=lambda s: dfs[s])
        if not present:
            return [Step(fts_match(words), 0)]
        pool = [s for s in present if dfs[s] <= COMMON_SHARE * n_chunks] or present
        essential: list[str] = []
        total = 0
        for s in pool:
            if total + dfs[s] > SCORED_ROWS_BUDGET:
                break
            essential.append(s)
            total += dfs[s]
        rest = pool[len(essential) :]
        plan = []
        if rest and len(pool) > 1:
            every = fts_match([query.surface[s] for s in pool], all_of=True)
            plan.append(Step(every, dfs[pool[0]], ranked=dfs[pool[0]] <= SCORED_ROWS_BUDGET))
        if essential:
            plan.append(Step(fts_match([query.surface[s] for s in essential]), total))
        if rest:
            rarest = dfs[rest[0]]
            plan.append(
                Step(
                    fts_match([query.surface[rest[0]]]),
                    rarest,
                    ranked=rarest <= SCORED_ROWS_BUDGET,
                    fallback=True,
                )
            )
        return plan

    def _gather(self, plan: list[Step], filters: SearchFilters | None, k: int) -> list[Any]:
        """Up to `candidates` rows from the plan's steps; fallback steps only while fewer than k.

        A step whose matches all fit in the free slots is not ranked: bm25() would walk
        every term's postings for its IDF and score each row, to order rows all kept anyway.
        """
        rows: list[Any] = []
        seen: set[int] = set()
        for step in plan:
            room = self.settings.retrieval.candidates - len(rows)
            if room <= 0 or (step.fallback and len(rows) >= k):
                break
            ranked = step.ranked and step.rows > room
            for row in self._candidates(step.match, filters, room, ranked=ranked):
                if row[0] not in seen:
                    seen.add(row[0])
                    rows.append(row)
        return rows

    def _candidates(
        self, match: str, filters: SearchFilters | None, limit: int, *, ranked: bool = True
    ) -> list[Any]:
        """The best passages by FTS5's bm25 (title weighted), or the newest when not ranked.

        Without filters the ranking runs on the FTS5 table alone and only the winners are
        joined; with filters the join comes first so the limit counts passages that pass.
        """
        order = "bm25(chunks_fts, ?, 1.0)" if ranked else "f.rowid DESC"
        weights = (self.settings.retrieval.title_weight,) if ranked else ()
        if filters is None:
            order = order if ranked else "rowid DESC"
            return self.db.query(
                f"SELECT {_ROW_COLUMNS} FROM (SELECT rowid FROM chunks_fts"
                f" WHERE chunks_fts MATCH ? ORDER BY {order} LIMIT ?) f"
                " JOIN chunks c ON c.id = f.rowid JOIN articles a ON a.id = c.article_id",
                (match, *weights, limit),
            )
        where, params = filter_sql(filters)
        return self.db.query(
            f"SELECT {_ROW_COLUMNS} FROM chunks_fts f JOIN chunks c ON c.id = f.rowid"
            " JOIN articles a ON a.id = c.article_id"
            f" WHERE chunks_fts MATCH ? AND {where} ORDER BY {order} LIMIT ?",
            (match, *params, *weights, limit),
        )

    @staticmethod
    def _idf(query: QueryTerms, dfs: dict[str, int], n_chunks: int) -> dict[str, float]:
        """Lucene IDF; a term absent from the corpus weighs as much as a term seen once."""
        n = max(n_chunks, 1)
        return {
            s: math.log(1 + (n - max(dfs.get(s, 0), 1) + 0.5) / (max(dfs.get(s, 0), 1) + 0.5))
            for s in query.stems
        }


def _timestamp(value: str | None) -> float:
    when = from_db(value)
    return when.timestamp() if when else 0.0


def passage_from_row(row: Any, score: float = 0.0, coverage: float = 0.0) -> Passage:
    """A Passage from a row of c.id, c.article_id, c.ordinal, c.start, c.end, c.text, c.words,
    a.title, a.url, a.source, a.published_at, a.ingested_at (the order both retrievers use)."""
    return Passage(
        chunk_id=row[0],
        article_id=row[1],
        ordinal=row[2],
        start=row[3],
        end=row[4],
        text=row[5],
        title=row[7],
        url=row[8],
        source=row[9],
        published_at=from_db(row[10]),
        ingested_at=required_time(from_db(row[11])),
        score=score,
        coverage=coverage,
    )
