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
from bot.text.words import stems

K1 = 1.2
B = 0.75
# Terms this common are left out of the FTS5 candidate query when rarer ones exist.
COMMON_SHARE = 0.08


@dataclass
class SearchResult:
    query: QueryTerms
    passages: list[Passage]


class Retriever:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def _corpus(self) -> tuple[int, float]:
        chunks, total_words = self.db.query("SELECT chunks, words FROM corpus_stats")[0]
        return int(chunks), (total_words / chunks if chunks else 1.0)

    def _doc_freqs(self, query: QueryTerms) -> dict[str, int]:
        if not query.stems:
            return {}
        marks = ",".join("?" * len(query.stems))
        rows = self.db.query(
            f"SELECT term, doc FROM chunks_vocab WHERE term IN ({marks})", tuple(query.stems)
        )
        return {str(term): int(doc) for term, doc in rows}

    def search(
        self, question: str, k: int | None = None, filters: SearchFilters | None = None
    ) -> SearchResult:
        query = analyze(question)
        k = k or self.settings.top_k
        if not query.stems:
            return SearchResult(query=query, passages=[])
        n_chunks, avgdl = self._corpus()
        dfs = self._doc_freqs(query)
        match_terms = self._match_terms(query, dfs, n_chunks)
        rows = self._candidates(match_terms, filters)
        candidate_stems = [(Counter(stems(row[7])), Counter(stems(row[5]))) for row in rows]
        for s in query.stems:
            seen = sum(1 for title, body in candidate_stems if s in title or s in body)
            dfs[s] = max(dfs.get(s, 0), seen)
        query.weights = self._idf(query, dfs, n_chunks)
        passages = []
        for row, (title_tf, body_tf) in zip(rows, candidate_stems, strict=True):
            dl = max(int(row[6]), 1)
            score = 0.0
            present: set[str] = set()
            for s in query.stems:
                tf = self.settings.title_weight * title_tf.get(s, 0) + body_tf.get(s, 0)
                if tf:
                    present.add(s)
                    norm = K1 * (1 - B + B * dl / avgdl)
                    score += query.weights[s] * tf * (K1 + 1) / (tf + norm)
            passages.append(self._passage(row, score, query.coverage(present)))
        passages.sort(key=lambda p: (-p.score, -_recency(p), p.chunk_id))
        return SearchResult(query=query, passages=passages[:k])

    def _match_terms(self, query: QueryTerms, dfs: dict[str, int], n_chunks: int) -> list[str]:
        """Drop very common terms from the candidate query when rarer ones remain."""
        words = [query.surface[s] for s in query.stems]
        if n_chunks < 1000:
            return words
        rare = [query.surface[s] for s in query.stems if dfs.get(s, 0) <= COMMON_SHARE * n_chunks]
        return rare or words

    def _candidates(self, terms: list[str], filters: SearchFilters | None) -> list[Any]:
        where, params = filter_sql(filters)
        sql = (
            "SELECT c.id, c.article_id, c.ordinal, c.start, c.end, c.text, c.words,"
            " a.title, a.url, a.source, a.published_at, a.ingested_at"
            " FROM chunks_fts f JOIN chunks c ON c.id = f.rowid"
            " JOIN articles a ON a.id = c.article_id"
            " WHERE chunks_fts MATCH ?"
            + (f" AND {where}" if where else "")
            + " ORDER BY bm25(chunks_fts, ?, 1.0) LIMIT ?"
        )
        return self.db.query(
            sql, (fts_match(terms), *params, self.settings.title_weight, self.settings.candidates)
        )

    @staticmethod
    def _idf(query: QueryTerms, dfs: dict[str, int], n_chunks: int) -> dict[str, float]:
        """Lucene IDF; a term absent from the corpus weighs as much as a term seen once."""
        n = max(n_chunks, 1)
        return {
            s: math.log(1 + (n - max(dfs.get(s, 0), 1) + 0.5) / (max(dfs.get(s, 0), 1) + 0.5))
            for s in query.stems
        }

    @staticmethod
    def _passage(row: Any, score: float, coverage: float) -> Passage:
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


def _recency(p: Passage) -> float:
    when = p.published_at or p.ingested_at
    return when.timestamp() if when else 0.0
