"""Full-text candidates and term statistics over PostgreSQL: a tsvector of Porter stems.

`chunks.fts` holds the distinct stems of each passage (title and text), the same terms
SQLite's FTS5 index holds, so a query selects the same passages; `term_stats` keeps each
stem's document count as FTS5's vocabulary table does. When a candidate list must be cut,
it is ranked as FTS5's bm25() ranks it (its IDF, the title weighted, the passage length
normalised) except that a term counts once per column: the tsvector holds no positions,
only which terms the passage and its title (marked terms) contain. The retriever rescores
every candidate with the full BM25 either way.
"""

from __future__ import annotations

import math

from bot.models import SearchFilters
from bot.store.articles import filter_sql
from bot.store.postgres.articles import TITLE_MARK
from bot.store.search import ROW_COLUMNS, PassageRow, SearchIndex, rows_of
from bot.text.words import fold, index_stem

K1 = 1.2
B = 0.75


def tsquery(stems: list[str], *, all_of: bool = False) -> str:
    """A tsquery of quoted lexemes: nothing a user typed is query syntax."""
    quoted = ("'" + s.replace("\\", "\\\\").replace("'", "''") + "'" for s in stems)
    return (" & " if all_of else " | ").join(quoted)


def fts5_idf(n: int, df: int) -> float:
    """FTS5's bm25() IDF, floored as there (a term in most passages weighs almost nothing)."""
    return max(math.log((n - df + 0.5) / (df + 0.5)), 1e-6)


class PgSearchIndex(SearchIndex):
    def keeps_fingerprint(self) -> bool:
        return bool(
            self.db.query(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND table_name = 'corpus_stats' AND column_name = 'id_hash'"
            )
        )

    def _lookup_doc_freqs(self, stems: list[str]) -> dict[str, int]:
        rows = self.db.query("SELECT term, docs FROM term_stats WHERE term = ANY(?)", (stems,))
        return {str(term): int(docs) for term, docs in rows}

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
        stems = list(dict.fromkeys(index_stem(fold(w)) for w in words))
        if not stems:
            return []
        where, params = filter_sql(filters, like=self.db.like)
        if ranked:
            ids = self._ranked_ids(stems, where, params, limit, all_of, title_weight)
            by_id = {row.chunk_id: row for row in self.passages(ids)}
            return [by_id[i] for i in ids if i in by_id]
        query = tsquery(stems, all_of=all_of)
        if filters is None:
            return rows_of(
                self.db.query(
                    f"SELECT {ROW_COLUMNS} FROM (SELECT c.id FROM chunks c"
                    " WHERE c.fts @@ ?::tsquery ORDER BY c.id DESC LIMIT ?) f"
                    " JOIN chunks c ON c.id = f.id JOIN articles a ON a.id = c.article_id",
                    (query, limit),
                )
            )
        return rows_of(
            self.db.query(
                f"SELECT {ROW_COLUMNS} FROM chunks c JOIN articles a ON a.id = c.article_id"
                f" WHERE c.fts @@ ?::tsquery AND {where} ORDER BY c.id DESC LIMIT ?",
                (query, *params, limit),
            )
        )

    def _ranked_ids(
        self,
        stems: list[str],
        where: str,
        params: list[object],
        limit: int,
        all_of: bool,
        title_weight: float,
    ) -> list[int]:
        """The best `limit` passages as FTS5's bm25() ranks them: per stem
        idf·f·(k1+1)/(f + K), with K = k1·(1 - b + b·length/avgdl) and f the column-weighted
        frequency, here counted once per column (a tsvector holds which terms a passage and
        its title contain, not how often): f = title_weight + 1 for a title term (news text
        repeats its headline's words), 1 for a text-only term.

        One index lookup per stem joined to its IDF, then summed per passage: the work grows
        with the matching rows, not with rows × stems."""
        n, avgdl = self.corpus()
        dfs = self.doc_freqs(stems, n)
        idfs = [
            max(math.log((n - dfs.get(s, 0) + 0.5) / (dfs.get(s, 0) + 0.5)), 1e-6) for s in stems
        ]
        both = title_weight + 1
        join = " JOIN articles a ON a.id = c.article_id" if where else ""
        conditions = [where] if where else []
        if all_of:
            # passages holding every term: found through the index at once (few), then
            # each paired with every term; no per-term lookup of common terms
            source = f"chunks c{join} CROSS JOIN unnest(?::text[], ?::text[], ?::float8[])"
            conditions.insert(0, "c.fts @@ ?::tsquery")
            lead: list[object] = []
            tail: list[object] = [tsquery(stems, all_of=True)]
        else:
            # passages holding any term: one index lookup per term (their counts are small)
            source = (
                "unnest(?::text[], ?::text[], ?::float8[]) AS t(term, title, idf)"
                f" JOIN chunks c ON c.fts @@ t.term::tsquery{join}"
            )
            lead, tail = [], []
        alias = " AS t(term, title, idf)" if all_of else ""
        rows = self.db.query(
            "SELECT m.id FROM (SELECT c.id, c.words, t.idf, c.fts @@ t.title::tsquery AS in_title"
            f" FROM {source}{alias}"
            + (f" WHERE {' AND '.join(conditions)}" if conditions else "")
            + ") m CROSS JOIN LATERAL (SELECT ?::float8 * (1 - ?::float8 + ?::float8 * m.words"
            " / ?::float8) AS k) n GROUP BY m.id"
            " ORDER BY sum(CASE WHEN m.in_title THEN m.idf * ?::float8 / (?::float8 + n.k)"
            " ELSE m.idf * ?::float8 / (1 + n.k) END) DESC, m.id DESC LIMIT ?",
            (
                *lead,
                [tsquery([s]) for s in stems],
                [tsquery([TITLE_MARK + s]) for s in stems],
                idfs,
                *tail,
                *params,
                K1,
                B,
                B,
                avgdl,
                both * (K1 + 1),
                both,
                K1 + 1,
                limit,
            ),
        )
        return [int(r[0]) for r in rows]
