"""Articles and their chunks: insert atomically with corpus counters, dedupe, list, count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.models import Article, ArticleIn, ArticleSummary, Chunk, SearchFilters, Stats
from bot.store.db import DB, Row, in_batches
from bot.store.fingerprint import MODULUS, passage_hash
from bot.store.records import (
    WINDOW_COLUMNS,
    TokenisedPassages,
    WindowArticle,
    window_article,
)
from bot.store.timefmt import from_db, required_time, to_db, utcnow
from bot.text.normalize import canonical_url, content_hash
from bot.text.words import plain_words, word_count, word_tokens

# Values per IN (...) lookup (SQLite allows 32,766 parameters).
_KEYS_PER_QUERY = 5_000
_ARTICLE_COLUMNS = (
    "id, title, text, url, source, published_at, ingested_at, content_hash, language, external_id,"
    " author"
)


def _article(row: Row) -> Article:
    return Article(
        id=row[0],
        title=row[1],
        text=row[2],
        url=row[3],
        source=row[4],
        published_at=from_db(row[5]),
        ingested_at=required_time(from_db(row[6])),
        content_hash=row[7],
        language=row[8],
        external_id=row[9],
        author=row[10],
    )


def filter_sql(
    filters: SearchFilters | None, alias: str = "a", like: str = "LIKE"
) -> tuple[str, list[object]]:
    """SQL conditions for date and source filters; time falls back to ingest time.

    `like` is the database's case-insensitive LIKE (`DB.like`)."""
    if filters is None:
        return "", []
    clauses: list[str] = []
    params: list[object] = []
    when = f"coalesce({alias}.published_at, {alias}.ingested_at)"
    if filters.since is not None:
        clauses.append(f"{when} >= ?")
        params.append(to_db(filters.since))
    if filters.until is not None:
        clauses.append(f"{when} <= ?")
        params.append(to_db(filters.until))
    if filters.source:
        clauses.append(f"{alias}.source {like} ? ESCAPE '\\'")
        escaped = filters.source.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.append(f"%{escaped}%")
    return (" AND ".join(clauses), params)


INSERT_ARTICLE = (
    "INSERT INTO articles (title, text, url, canonical_url, source, published_at,"
    " ingested_at, content_hash, language, external_id, origin, author)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
)


def article_values(
    article: ArticleIn, curl: str | None, digest: str, now: str | None = None
) -> tuple[Any, ...]:
    """The article's row; `now` (stored form) is its ingest time unless it carries one."""
    return (
        article.title,
        article.text,
        article.url,
        curl,
        article.source,
        to_db(article.published_at),
        to_db(article.ingested_at) if article.ingested_at else (now or to_db(utcnow())),
        digest,
        article.language,
        article.external_id,
        article.origin,
        article.author,
    )


@dataclass
class PlannedArticle:
    """An article to store with ids chosen beforehand (see `ArticleRepository.next_ids`)."""

    article_id: int
    article: ArticleIn
    chunks: list[Chunk]
    keys: tuple[str | None, str]
    chunk_ids: list[int]
    normalized: str | None = None  # the text's `normalized_text`, when the caller has it


def dedupe_keys(article: ArticleIn, normalized: str | None = None) -> tuple[str | None, str]:
    """(canonical URL, content hash): what makes two articles the same one. `normalized`:
    the text's `normalized_text`, when the caller has it already."""
    return canonical_url(article.url), content_hash(article.title, article.text, normalized)


def passage_tokens(
    text: str, normalized: str | None = None, split: list[str] | None = None
) -> list[str]:
    """`word_tokens(text)`, lower-cased where that changes no token (`plain_words` text),
    and then taken from `normalized` when given (the text's `normalized_text`, one split
    instead of a tokenisation: without underscores its words are exactly those tokens). Case changes
    neither a word's stem (`fresh_stem` lower-cases first) nor the word count, and the
    postings index then meets one surface form per word instead of two or three.
    `split`: `normalized`'s words as `normalized_words` gives them (only for `plain_words`
    text), returned as they are when they are the tokens."""
    if split is not None and "_" not in text:
        return split
    if plain_words(text):
        if normalized is not None and "_" not in text:
            return normalized.split(" ") if normalized else []
        return word_tokens(text.lower())
    return word_tokens(text)


class ArticleRepository:
    def __init__(self, db: DB) -> None:
        self.db = db

    def find_duplicate(
        self, article: ArticleIn, keys: tuple[str | None, str] | None = None
    ) -> int | None:
        """The id of a stored article with the same canonical URL or normalised text.

        `keys` are the article's `dedupe_keys`, when the caller has them already.
        """
        curl, digest = keys or dedupe_keys(article)
        row = self.db.query(
            "SELECT id FROM articles WHERE content_hash = ? "
            "UNION ALL SELECT id FROM articles WHERE canonical_url = ? LIMIT 1",
            (digest, curl),
        )
        return int(row[0][0]) if row else None

    def insert(
        self,
        article: ArticleIn,
        chunks: list[Chunk],
        keys: tuple[str | None, str] | None = None,
        index_rows: list[tuple[Any, ...]] | None = None,
    ) -> int:
        """Store an article and its chunks in one transaction.

        `index_rows` is where a store with a full-text table (PostgreSQL) sets its rows
        aside for `write_index_rows`; SQLite has none (the postings index follows the
        chunks), so it stays empty here.
        """
        curl, digest = keys or dedupe_keys(article)
        with self.db.transaction() as tx:
            article_id = self._insert_article(tx, article, curl, digest)
            title_words = word_count(article.title)
            total_words = 0
            fingerprint = 0
            for chunk in chunks:
                words = title_words + word_count(chunk.text)
                total_words += words
                chunk_id = tx.execute(
                    'INSERT INTO chunks (article_id, ordinal, start, "end", tokens, words, text)'
                    " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (
                        article_id,
                        chunk.ordinal,
                        chunk.start,
                        chunk.end,
                        chunk.tokens,
                        words,
                        chunk.text,
                    ),
                ).fetchone()[0]
                fingerprint += passage_hash(chunk_id, article.title, chunk.text)
            tx.execute(
                "UPDATE corpus_stats SET chunks = chunks + ?, words = words + ?,"
                " id_hash = (id_hash + ?) % ? WHERE id = 1",
                (len(chunks), total_words, fingerprint % MODULUS, MODULUS),
            )
        return article_id

    def find_duplicates(self, keys: list[tuple[str | None, str]]) -> dict[str, int]:
        """`find_duplicate` for many articles' `dedupe_keys` at once: content hash or
        canonical URL -> the stored article that has it."""
        found: dict[str, int] = {}
        wanted = [
            ("content_hash", sorted({digest for _, digest in keys})),
            ("canonical_url", sorted({curl for curl, _ in keys if curl})),
        ]
        for column, values in wanted:
            for part, marks in in_batches(values, _KEYS_PER_QUERY):
                for article_id, value in self.db.query(
                    f"SELECT id, {column} FROM articles WHERE {column} IN ({marks})", tuple(part)
                ):
                    found.setdefault(str(value), int(article_id))
        return found

    @property
    def plans_ids(self) -> bool:
        """Whether `next_ids` plans ids (then `insert_planned`/`write_rows` can be used)."""
        return self.db.dialect == "sqlite"

    def next_ids(self) -> tuple[int, int] | None:
        """The article and passage ids the next inserts get, for `insert_planned` (call inside
        the write transaction); None where the database hands ids out itself."""
        if not self.plans_ids:
            return None
        articles, chunks = self.db.query(
            "SELECT (SELECT coalesce(max(id), 0) FROM articles),"
            " (SELECT coalesce(max(id), 0) FROM chunks)"
        )[0]
        return int(articles) + 1, int(chunks) + 1

    def insert_planned(self, planned: list[PlannedArticle]) -> TokenisedPassages:
        """Store articles whose ids came from `next_ids`, with their chunks, in a few
        statements; all or nothing (the caller retries one by one on error). Returns the
        passages written, tokenised, for the postings index."""
        passages = TokenisedPassages()
        if not planned:
            return passages
        article_rows, chunk_rows = [], []
        total_words, fingerprint = 0, 0
        now = to_db(utcnow())  # one ingest time for the batch
        for p in planned:
            a, (curl, digest) = p.article, p.keys
            row = article_values(a, curl, digest, now)
            article_rows.append((p.article_id, *row))
            title_tokens = passage_tokens(a.title)
            stamp = row[5] or row[6]  # published, else ingested
            whole = p.normalized if len(p.chunks) == 1 and p.chunks[0].text == a.text else None
            for chunk_id, chunk in zip(p.chunk_ids, p.chunks, strict=True):
                text_tokens = passage_tokens(chunk.text, whole)
                words = len(title_tokens) + len(text_tokens)
                total_words += words
                mix = passage_hash(chunk_id, a.title, chunk.text)
                fingerprint += mix
                chunk_rows.append(
                    (
                        chunk_id,
                        p.article_id,
                        chunk.ordinal,
                        chunk.start,
                        chunk.end,
                        chunk.tokens,
                        words,
                        chunk.text,
                    )
                )
                passages.ids.append(chunk_id)
                passages.words.append(words)
                passages.stamps.append(stamp)
                passages.mix.append(mix)
                passages.title_tokens.append(title_tokens)
                passages.text_tokens.append(text_tokens)
        self.write_rows(article_rows, chunk_rows, total_words, fingerprint % MODULUS)
        return passages

    def write_rows(
        self,
        article_rows: list[tuple[Any, ...]],
        chunk_rows: list[tuple[Any, ...]],
        words: int,
        fingerprint: int,
    ) -> None:
        """Articles and passages with planned ids in one transaction, and the corpus counters:
        article rows are (id, *`article_values`), passage rows (id, article_id, ordinal,
        start, end, tokens, words, text); `words` and `fingerprint` (modulo MODULUS) are the
        passages' totals."""
        with self.db.transaction() as tx:
            tx.executemany(
                "INSERT INTO articles (id, title, text, url, canonical_url, source, published_at,"
                " ingested_at, content_hash, language, external_id, origin, author)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                article_rows,
            )
            tx.executemany(
                'INSERT INTO chunks (id, article_id, ordinal, start, "end", tokens, words, text)'
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                chunk_rows,
            )
            tx.execute(
                "UPDATE corpus_stats SET chunks = chunks + ?, words = words + ?,"
                " id_hash = (id_hash + ?) % ? WHERE id = 1",
                (len(chunk_rows), words, fingerprint, MODULUS),
            )

    @staticmethod
    def _insert_article(tx: Any, article: ArticleIn, curl: str | None, digest: str) -> int:
        return int(tx.execute(INSERT_ARTICLE, article_values(article, curl, digest)).fetchone()[0])

    def write_index_rows(self, rows: list[tuple[Any, ...]]) -> None:
        """The full-text rows `insert` set aside: none on SQLite (see `insert`)."""

    def delete(self, article_id: int) -> bool:
        """Remove an article with everything derived from it, in one transaction: chunks,
        vectors and alternates (by cascade), the corpus counters and its near-duplicate band
        keys."""
        with self.db.transaction() as tx:
            row = tx.execute(
                "SELECT title, text FROM articles WHERE id = ?", (article_id,)
            ).fetchone()
            if row is None:
                return False
            chunks = tx.execute(
                "SELECT id, text, words FROM chunks WHERE article_id = ?", (article_id,)
            ).fetchall()
            removed = sum(passage_hash(cid, row[0], text) for cid, text, _ in chunks)
            tx.execute(
                "UPDATE corpus_stats SET chunks = chunks - ?, words = words - ?,"
                " id_hash = (id_hash + ?) % ? WHERE id = 1",
                (len(chunks), sum(c[2] for c in chunks), MODULUS - removed % MODULUS, MODULUS),
            )
            tx.execute("DELETE FROM near_dup_prints WHERE article_id = ?", (article_id,))
            tx.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        return True

    def get(self, article_id: int) -> Article | None:
        rows = self.db.query(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id = ?", (article_id,))
        return _article(rows[0]) if rows else None

    def get_many(self, ids: list[int]) -> list[Article]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self.db.query(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id IN ({marks})", tuple(ids)
        )
        by_id = {r[0]: _article(r) for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    def count(self) -> int:
        return int(self.db.query("SELECT count(*) FROM articles")[0][0])

    def newest_published(self) -> datetime | None:
        return from_db(self.db.query("SELECT max(published_at) FROM articles")[0][0])

    def find_by_url(self, url: str) -> int | None:
        """The stored article at this URL, or the one it was recorded as a copy of."""
        curl = canonical_url(url)
        rows = self.db.query(
            "SELECT id FROM articles WHERE canonical_url = ? UNION ALL"
            " SELECT canonical_id FROM article_alternates WHERE dedupe_key = ? LIMIT 1",
            (curl, curl),
        )
        return int(rows[0][0]) if rows else None

    def window(self, since: datetime, until: datetime, limit: int) -> list[WindowArticle]:
        """Articles published (or, undated, ingested) in [since, until]: the newest `limit`,
        returned oldest first, their title and text as plain text."""
        where, params = filter_sql(SearchFilters(since=since, until=until), like=self.db.like)
        rows = self.db.query(
            f"SELECT {WINDOW_COLUMNS} FROM articles a WHERE {where}"
            " ORDER BY coalesce(a.published_at, a.ingested_at) DESC, a.id DESC LIMIT ?",
            (*params, limit),
        )
        found = [window_article(r) for r in rows]
        found.sort(key=lambda a: (a.when, a.id))
        return found

    def list_articles(
        self, filters: SearchFilters | None = None, limit: int | None = None, offset: int = 0
    ) -> list[ArticleSummary]:
        where, params = filter_sql(filters, like=self.db.like)
        sql = (
            "SELECT id, title, url, source, published_at, ingested_at FROM articles a"
            + (f" WHERE {where}" if where else "")
            + " ORDER BY coalesce(a.published_at, a.ingested_at) DESC, a.id DESC"
        )
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return [
            ArticleSummary(
                id=r[0],
                title=r[1],
                url=r[2],
                source=r[3],
                published_at=from_db(r[4]),
                ingested_at=required_time(from_db(r[5])),
            )
            for r in self.db.query(sql, tuple(params))
        ]

    def stats(self) -> Stats:
        articles, sources, first, last = self.db.query(
            "SELECT count(*), count(DISTINCT source), min(published_at), max(published_at)"
            " FROM articles"
        )[0]
        chunks = int(self.db.query("SELECT chunks FROM corpus_stats WHERE id = 1")[0][0])
        return Stats(
            articles=articles,
            chunks=chunks,
            sources=sources,
            first_published=from_db(first),
            last_published=from_db(last),
            db_bytes=self.db.size_bytes(),
        )
