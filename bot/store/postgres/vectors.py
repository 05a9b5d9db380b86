"""Chunk vectors on PostgreSQL: with pgvector, nearest neighbours are found in the database.

The float16 bytes are kept as on SQLite (the numpy path and `db copy` read them); when the
`embedding vector` column exists (migration 2 found pgvector) every vector is also written
there and `nearest` ranks by cosine distance in SQL, an exact scan like numpy's.
"""

from __future__ import annotations

import numpy as np

from bot.models import SearchFilters
from bot.store.articles import filter_sql
from bot.store.db import DB
from bot.store.vectors import DTYPE, VectorRepository


def vector_literal(row: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.6g}" for x in row.tolist()) + "]"


class PgVectorRepository(VectorRepository):
    def __init__(self, db: DB) -> None:
        super().__init__(db)
        self.in_database = bool(
            db.query(
                "SELECT 1 FROM information_schema.columns"
                " WHERE table_name = 'chunk_vectors' AND column_name = 'embedding'"
            )
        )

    def write(self, model: str, chunk_ids: list[int], matrix: np.ndarray) -> int:
        if not self.in_database:
            return super().write(model, chunk_ids, matrix)
        rows = [
            (cid, model, matrix[i].astype(DTYPE).tobytes(), vector_literal(matrix[i]))
            for i, cid in enumerate(chunk_ids)
        ]
        if rows:
            with self.db.transaction() as tx:
                tx.executemany(
                    "INSERT INTO chunk_vectors (chunk_id, model, vector, embedding)"
                    " VALUES (?, ?, ?, ?::vector) ON CONFLICT (chunk_id) DO UPDATE SET"
                    " model = excluded.model, vector = excluded.vector,"
                    " embedding = excluded.embedding",
                    rows,
                )
        return len(rows)

    def nearest(
        self, model: str, query: np.ndarray, n: int, filters: SearchFilters | None = None
    ) -> list[tuple[int, float]]:
        """The `n` chunks most similar to `query` (cosine), best first."""
        where, params = filter_sql(filters, like=self.db.like)
        join = " JOIN chunks c ON c.id = v.chunk_id JOIN articles a ON a.id = c.article_id"
        literal = vector_literal(query)
        rows = self.db.query(
            "SELECT v.chunk_id, 1 - (v.embedding <=> ?::vector) FROM chunk_vectors v"
            + (join if where else "")
            + " WHERE v.model = ? AND v.embedding IS NOT NULL"
            + (f" AND {where}" if where else "")
            + " ORDER BY v.embedding <=> ?::vector, v.chunk_id LIMIT ?",
            (literal, model, *params, literal, n),
        )
        return [(int(cid), float(score)) for cid, score in rows]
