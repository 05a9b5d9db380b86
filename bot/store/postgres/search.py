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
        # the length normalisation K of each passage, for the ranking expression
        lateral = (
            " CROSS JOIN LATERAL (SELECT ?::float8 * (1 - ?::float8 + ?::float8 * c.words"
            " / ?::float8) AS k) n"
        )
        lateral_params: list[object] = []
        order, order_params = "c.id DESC", list[object]()
        if ranked:
            lateral_params = [K1, B, B, self.corpus()[1]]
            order, order_params = self._bm25_order(stems, title_weight)
        else:
            lateral = ""
        where, params = filter_sql(filters, like=self.db.like)
        if filters is None:
            return rows_of(
                self.db.query(
                    f"SELECT {ROW_COLUMNS} FROM (SELECT c.id FROM chunks c{lateral}"
                    f" WHERE c.fts @@ ?::tsquery ORDER BY {order} LIMIT ?) f"
                    " JOIN chunks c ON c.id = f.id JOIN articles a ON a.id = c.article_id",
                    (*lateral_params, query, *order_params, limit),
                )
            )
        return rows_of(
            self.db.query(
                f"SELECT {ROW_COLUMNS} FROM chunks c JOIN articles a ON a.id = c.article_id"
                f"{lateral} WHERE c.fts @@ ?::tsquery AND {where} ORDER BY {order} LIMIT ?",
                (*lateral_params, query, *params, *order_params, limit),
            )
        )

    def _bm25_order(self, stems: list[str], title_weight: float) -> tuple[str, list[object]]:
        """ORDER BY FTS5's bm25(): per stem idf·f·(k1+1)/(f + K), f the column-weighted
        frequency, here counted once per column (a tsvector holds which terms a passage and
        its title contain, not how often): f = title_weight + 1 for a title term (news text
        repeats its headline's words), 1 for a text-only term. K comes from the lateral `n`."""
        n = self.corpus()[0]
        dfs = self.doc_freqs(stems, n)
        terms: list[str] = []
        params: list[object] = []
        both = title_weight + 1
        for s in stems:
            df = dfs.get(s, 0)
            idf = max(math.log((n - df + 0.5) / (df + 0.5)), 1e-6)  # FTS5's, floored as there
            terms.append(  # the title is looked at only in passages holding the term
                "CASE WHEN c.fts @@ ?::tsquery THEN CASE WHEN c.fts @@ ?::tsquery"
                " THEN ?::float8 / (?::float8 + n.k) ELSE ?::float8 / (1 + n.k) END ELSE 0 END"
            )
            params += [tsquery([s]), tsquery([TITLE_MARK + s])]
            params += [idf * both * (K1 + 1), both, idf * (K1 + 1)]
        return f"({' + '.join(terms)}) DESC, c.id DESC", params
