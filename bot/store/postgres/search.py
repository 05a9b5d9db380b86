"""Full-text candidates and term statistics over PostgreSQL: a tsvector of Porter stems.

`chunks.fts` holds the distinct stems of each passage (title and text), the same terms
SQLite's FTS5 index holds, so a query selects the same passages; `term_stats` keeps each
stem's document count as FTS5's vocabulary table does. The ranking used to cut a long
candidate list is BM25 with binary term frequencies (a tsvector without positions has no
counts); the retriever rescores every candidate with the full BM25 either way.
"""

from __future__ import annotations

import math

from bot.models import SearchFilters
from bot.store.articles import filter_sql
from bot.store.search import ROW_COLUMNS, PassageRow, SearchIndex, rows_of
from bot.text.words import fold, index_stem

K1 = 1.2
B = 0.75


def tsquery(stems: list[str], *, all_of: bool = False) -> str:
    """A tsquery of quoted lexemes: nothing a user typed is query syntax."""
    quoted = ("'" + s.replace("\\", "\\\\").replace("'", "''") + "'" for s in stems)
    return (" & " if all_of else " | ").join(quoted)


class PgSearchIndex(SearchIndex):
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
        query = tsquery(stems, all_of=all_of)
        order, order_params = "c.id DESC", list[object]()
        if ranked:
            order, order_params = self._bm25_order(stems)
        where, params = filter_sql(filters, like=self.db.like)
        if filters is None:
            return rows_of(
                self.db.query(
                    f"SELECT {ROW_COLUMNS} FROM (SELECT c.id FROM chunks c"
                    f" WHERE c.fts @@ ?::tsquery ORDER BY {order} LIMIT ?) f"
                    " JOIN chunks c ON c.id = f.id JOIN articles a ON a.id = c.article_id",
                    (query, *order_params, limit),
                )
            )
        return rows_of(
            self.db.query(
                f"SELECT {ROW_COLUMNS} FROM chunks c JOIN articles a ON a.id = c.article_id"
                f" WHERE c.fts @@ ?::tsquery AND {where} ORDER BY {order} LIMIT ?",
                (query, *params, *order_params, limit),
            )
        )

    def _bm25_order(self, stems: list[str]) -> tuple[str, list[object]]:
        """ORDER BY BM25 with term frequency 1: the sum of the IDFs of the stems a passage
        holds, over BM25's length normalisation."""
        n, avgdl = self.corpus()
        dfs = self.doc_freqs(stems, n)
        terms: list[str] = []
        params: list[object] = []
        for s in stems:
            df = max(dfs.get(s, 0), 1)
            terms.append("CASE WHEN c.fts @@ ?::tsquery THEN ?::float8 ELSE 0 END")
            params += [tsquery([s]), math.log(1 + (max(n, 1) - df + 0.5) / (df + 0.5))]
        norm = "(1 + ?::float8 * (1 - ?::float8 + ?::float8 * c.words / ?::float8))"
        params += [K1, B, B, avgdl]
        return f"({' + '.join(terms)}) / {norm} DESC, c.id DESC", params
