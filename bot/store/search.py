"""The only SQL retrieval needs: the passages the postings index reads, rows → passages,
and (PostgreSQL only, `bot.store.postgres.search`) full-text candidates and term statistics.

The BM25 arithmetic lives in `bot.retrieval`; this module answers "what changed in the
store" (its fingerprint and the passages after an id) for `bot.store.postings` and "what
are these passages" (rows for the results); a database with a full-text index of its own
also answers "which passages contain these words" and "how many passages hold each stem".
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from bot.models import Passage, SearchFilters
from bot.store.articles import filter_sql
from bot.store.db import DB
from bot.store.timefmt import from_db, required_time

# Document frequencies kept in memory (see SearchIndex.doc_freqs) before the cache starts afresh.
DF_CACHE_TERMS = 100_000


class IndexState(NamedTuple):
    """What the postings index compares itself with: which store, how many passages, their
    fingerprint (see `bot.store.fingerprint`) and the highest passage id."""

    store_id: str
    chunks: int
    id_hash: int
    max_id: int


class IndexRow(NamedTuple):
    """A passage as the postings index reads it: its text and what ranking needs."""

    chunk_id: int
    title: str
    text: str
    words: int
    published_at: str | None
    ingested_at: str


_INDEX_ROW_SQL = (
    "SELECT c.id, a.title, c.text, c.words, a.published_at, a.ingested_at"
    " FROM chunks c JOIN articles a ON a.id = c.article_id"
)


class PassageRow(NamedTuple):
    """One passage with its article's fields, as every search query returns it."""

    chunk_id: int
    article_id: int
    ordinal: int
    start: int
    end: int
    text: str
    words: int
    title: str
    url: str | None
    source: str | None
    published_at: str | None
    ingested_at: str

    @property
    def when(self) -> datetime | None:
        return from_db(self.published_at or self.ingested_at)


ROW_COLUMNS = (
    'c.id, c.article_id, c.ordinal, c.start, c."end", c.text, c.words,'
    " a.title, a.url, a.source, a.published_at, a.ingested_at"
)
ROW_SQL = f"SELECT {ROW_COLUMNS} FROM chunks c JOIN articles a ON a.id = c.article_id"


def passage_from_row(row: PassageRow, score: float = 0.0, coverage: float = 0.0) -> Passage:
    """A Passage from a row of our own schema, whose columns have the model's types already
    (so it is constructed without validation: searches build dozens per question)."""
    return Passage.model_construct(
        chunk_id=row.chunk_id,
        article_id=row.article_id,
        ordinal=row.ordinal,
        start=row.start,
        end=row.end,
        text=row.text,
        title=row.title,
        url=row.url,
        source=row.source,
        published_at=from_db(row.published_at),
        ingested_at=required_time(from_db(row.ingested_at)),
        score=float(score),
        coverage=float(coverage),
    )


def rows_of(raw: list) -> list[PassageRow]:
    return [PassageRow._make(r) for r in raw]


class SearchIndex:
    """Passages and corpus statistics; full-text candidates where the database has them."""

    def __init__(self, db: DB) -> None:
        self.db = db
        self._df_cache: dict[str, int] = {}
        self._df_chunks = -1

    def corpus(self) -> tuple[int, float]:
        """(passages, average passage length in words)."""
        chunks, total_words = self.db.query("SELECT chunks, words FROM corpus_stats")[0]
        return int(chunks), (total_words / chunks if chunks else 1.0)

    def doc_freqs(self, stems: list[str], n_chunks: int) -> dict[str, int]:
        """Document frequencies of `stems` (absent ones left out), cached.

        Counting a term's documents walks its posting list, so a long-running bot keeps
        the counts until the corpus changes size (an ingest or a delete).
        """
        if n_chunks != self._df_chunks or len(self._df_cache) > DF_CACHE_TERMS:
            self._df_cache, self._df_chunks = {}, n_chunks
        cache = self._df_cache
        missing = [s for s in stems if s not in cache]
        if missing:
            found = self._lookup_doc_freqs(missing)
            for s in missing:
                cache[s] = found.get(s, 0)
        return {s: cache[s] for s in stems if cache.get(s, 0) > 0}

    def _lookup_doc_freqs(self, stems: list[str]) -> dict[str, int]:
        raise NotImplementedError("a SQLite store counts terms in its postings index")

    def candidates(
        self,
        words: list[str],
        filters: SearchFilters | None,
        limit: int,
        *,
        all_of: bool = False,
        ranked: bool = True,
        title_weight: float = 1.0,
    ) -> list[PassageRow]:
        """Passages holding any (or, with `all_of`, every) of `words`: the best `limit` by
        bm25 (title weighted), or the newest when not `ranked`. Only a database with a
        full-text index of its own answers this (PostgreSQL); SQLite stores rank over the
        postings index (`bot.store.postings`)."""
        raise NotImplementedError("a SQLite store ranks over its postings index")

    def keeps_fingerprint(self) -> bool:
        """Whether the schema has the corpus fingerprint (`corpus_stats.id_hash`)."""
        return bool(
            self.db.query("SELECT 1 FROM pragma_table_info('corpus_stats') WHERE name = 'id_hash'")
        )

    def index_state(self) -> IndexState:
        store_id, chunks, id_hash, max_id = self.db.query(
            "SELECT (SELECT value FROM meta WHERE key = 'store_id'), s.chunks, s.id_hash,"
            " (SELECT max(id) FROM chunks) FROM corpus_stats s WHERE s.id = 1"
        )[0]
        return IndexState(str(store_id or ""), int(chunks), int(id_hash), int(max_id or 0))

    def index_rows(self, after_id: int, limit: int) -> list[IndexRow]:
        """Passages with ids above `after_id`, in id order, at most `limit`."""
        return [
            IndexRow._make(r)
            for r in self.db.query(
                f"{_INDEX_ROW_SQL} WHERE c.id > ? ORDER BY c.id LIMIT ?", (after_id, limit)
            )
        ]

    def index_rows_for(self, chunk_ids: list[int]) -> list[IndexRow]:
        """These passages (unknown ids left out), in id order."""
        if not chunk_ids:
            return []
        marks = ",".join("?" * len(chunk_ids))
        return [
            IndexRow._make(r)
            for r in self.db.query(
                f"{_INDEX_ROW_SQL} WHERE c.id IN ({marks}) ORDER BY c.id", tuple(chunk_ids)
            )
        ]

    def chunk_ids_from(self, source: str) -> list[int]:
        """The passages of articles whose source matches `source` (as the source filter)."""
        where, params = filter_sql(SearchFilters(source=source), like=self.db.like)
        return [
            int(r[0])
            for r in self.db.query(
                f"SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id WHERE {where}",
                tuple(params),
            )
        ]

    def chunk_ids(self) -> list[int]:
        """Every passage id, ascending."""
        return [int(r[0]) for r in self.db.query("SELECT id FROM chunks ORDER BY id")]

    def passages(self, chunk_ids: list[int]) -> list[PassageRow]:
        """The passages with these ids (any order; unknown ids left out)."""
        if not chunk_ids:
            return []
        marks = ",".join("?" * len(chunk_ids))
        return rows_of(self.db.query(f"{ROW_SQL} WHERE c.id IN ({marks})", tuple(chunk_ids)))

    def article_passages(self, article_ids: list[int]) -> list[PassageRow]:
        """Every passage of these articles, each article's in reading order."""
        if not article_ids:
            return []
        marks = ",".join("?" * len(article_ids))
        return rows_of(
            self.db.query(
                f"{ROW_SQL} WHERE c.article_id IN ({marks}) ORDER BY c.article_id, c.ordinal",
                tuple(article_ids),
            )
        )

    def newest_leads(self, filters: SearchFilters | None, limit: int) -> list[PassageRow]:
        """The first passage of the newest articles that pass the filters, newest first."""
        where, params = filter_sql(filters, like=self.db.like)
        return rows_of(
            self.db.query(
                f"{ROW_SQL} WHERE c.ordinal = 0"
                + (f" AND {where}" if where else "")
                + " ORDER BY coalesce(a.published_at, a.ingested_at) DESC, c.id DESC LIMIT ?",
                (*params, limit),
            )
        )
