"""Articles on PostgreSQL: chunk rows carry their stems, and batches arrive by COPY.

In a batch (`index_rows` given) each article row is inserted in its own savepoint, as on
SQLite, while its chunk rows wait for one COPY at the end of the batch; the document
counts of `term_stats` and the corpus totals (with the fingerprint the postings index
follows, `bot.store.fingerprint`) are updated once per batch, terms in sorted order so that
concurrent ingests lock them in the same order. Passage ids are taken from the identity
sequence before the COPY, since the fingerprint hashes each passage with its id.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from bot.models import ArticleIn, Chunk
from bot.store.articles import INSERT_ARTICLE, ArticleRepository, article_values, dedupe_keys
from bot.store.errors import ConflictError
from bot.store.fingerprint import MODULUS, passage_hash
from bot.text.words import index_terms, word_count

CHUNK_COLUMNS = 'chunks (id, article_id, ordinal, start, "end", tokens, words, text, terms)'
# A chunk row as written (CHUNK_COLUMNS), id first; `insert` sets rows aside without the id
# and with their article's title last (what the fingerprint hashes besides id and text).
ChunkRow = tuple[Any, ...]


def _without_nul(article: ArticleIn) -> ArticleIn:
    """PostgreSQL text cannot hold NUL: a space instead keeps every chunk offset."""
    if "\x00" not in article.title and "\x00" not in article.text:
        return article
    return article.model_copy(
        update={
            "title": article.title.replace("\x00", " "),
            "text": article.text.replace("\x00", " "),
        }
    )


# Passages added beyond a quarter before the planner's statistics are refreshed.
STATS_SLACK = 1000
# Marks a title term: `^crane` says "crane" is in the passage's title (for ranking only).
TITLE_MARK = "^"


def chunk_terms(title_terms: set[str], text: str) -> str:
    """The distinct index terms of a passage (its title's included), space-separated, then
    the title's terms once more with TITLE_MARK, so ranking can weigh title matches as
    FTS5's bm25 does."""
    terms = sorted(t for t in title_terms.union(index_terms(text)) if t)
    marked = sorted(TITLE_MARK + t for t in title_terms if t)
    return " ".join(terms + marked)


class PgArticleRepository(ArticleRepository):
    def insert(
        self,
        article: ArticleIn,
        chunks: list[Chunk],
        keys: tuple[str | None, str] | None = None,
        index_rows: list[tuple[Any, ...]] | None = None,
    ) -> int:
        curl, digest = keys or dedupe_keys(article)
        article = _without_nul(article)
        title_terms = index_terms(article.title)
        title_words = word_count(article.title)
        db: Any = self.db
        with db.transaction(savepoint=False) as tx:
            found = tx.execute(
                INSERT_ARTICLE.replace("RETURNING id", "ON CONFLICT DO NOTHING RETURNING id"),
                article_values(article, curl, digest),
            ).fetchone()
            if found is None:  # the same URL or text is stored: nothing was written
                raise ConflictError(f"article already stored: {article.title[:80]}")
            article_id = int(found[0])
            rows: list[ChunkRow] = [
                (
                    article_id,
                    c.ordinal,
                    c.start,
                    c.end,
                    c.tokens,
                    title_words + word_count(c.text),
                    c.text.replace("\x00", " "),
                    chunk_terms(title_terms, c.text),
                    article.title,
                )
                for c in chunks
            ]
            if index_rows is None:
                self._write_chunks(tx, rows)
        if index_rows is not None:
            index_rows.extend(rows)  # only once the article's savepoint is released
        return article_id

    def write_index_rows(self, rows: list[tuple[Any, ...]]) -> None:
        """The chunk rows `insert` set aside, by COPY (call inside the same transaction).

        When the passages have grown by a quarter since the planner last counted them, the
        table statistics are refreshed: without them PostgreSQL scans every passage instead
        of using the full-text index (autovacuum gets there too, but only later)."""
        if rows:
            with self.db.transaction() as tx:
                self._write_chunks(tx, rows)
                counted = tx.execute(
                    "SELECT greatest(reltuples, 0) FROM pg_class WHERE relname = 'chunks'"
                ).fetchone()
                chunks = tx.execute("SELECT chunks FROM corpus_stats WHERE id = 1").fetchone()
                if counted and chunks and chunks[0] >= 1.25 * counted[0] + STATS_SLACK:
                    tx.execute("ANALYZE chunks")
                    tx.execute("ANALYZE articles")

    def _write_chunks(self, tx: Any, pending: list[ChunkRow]) -> None:
        """COPY the rows `insert` set aside, with ids taken from the sequence first."""
        ids = [
            int(r[0])
            for r in tx.execute(
                "SELECT nextval(pg_get_serial_sequence('chunks', 'id')) FROM generate_series(1, ?)",
                (len(pending),),
            ).fetchall()
        ]
        rows = [(i, *row[:-1]) for i, row in zip(ids, pending, strict=True)]
        tx.copy_rows(CHUNK_COLUMNS, rows)
        hashes = sum(passage_hash(i, row[-1], row[6]) for i, row in zip(ids, pending, strict=True))
        _count(tx, rows, +1, hashes)

    def delete(self, article_id: int) -> bool:
        with self.db.transaction() as tx:
            found = tx.execute("SELECT title FROM articles WHERE id = ?", (article_id,)).fetchone()
            if found is None:
                return False
            rows = tx.execute(
                'SELECT id, article_id, ordinal, start, "end", tokens, words, text, terms'
                " FROM chunks WHERE article_id = ?",
                (article_id,),
            ).fetchall()
            hashes = sum(passage_hash(row[0], found[0], row[7]) for row in rows)
            _count(tx, rows, -1, hashes)
            tx.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        return True


def _count(tx: Any, rows: list[ChunkRow], sign: int, hashes: int) -> None:
    """Add (or, sign -1, take away) the rows' passages, words, term document counts and
    passage hashes (`hashes`: their sum) to the corpus totals and its fingerprint."""
    if not rows:
        return
    docs = Counter(
        term for row in rows for term in row[8].split() if not term.startswith(TITLE_MARK)
    )
    terms = sorted(docs)
    tx.execute(
        "INSERT INTO term_stats (term, docs) SELECT * FROM unnest(?::text[], ?::bigint[])"
        " ON CONFLICT (term) DO UPDATE SET docs = term_stats.docs + excluded.docs",
        (terms, [sign * docs[t] for t in terms]),
    )
    change = hashes % MODULUS if sign > 0 else MODULUS - hashes % MODULUS
    tx.execute(
        "UPDATE corpus_stats SET chunks = chunks + ?, words = words + ?,"
        " id_hash = (id_hash + ?) % ? WHERE id = 1",
        (sign * len(rows), sign * sum(int(row[6]) for row in rows), change, MODULUS),
    )
