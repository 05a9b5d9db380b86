"""Chunk vectors: float16 rows tagged with the embedder's name, and the chunks lacking one.

The store only keeps and returns vectors; computing them (and what to do when the embedder
fails) is `bot.retrieval.vectors`'s business.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from bot.models import SearchFilters
from bot.store.articles import filter_sql
from bot.store.db import DB

DTYPE = np.float16


def vectors_from_rows(rows: Iterable) -> tuple[np.ndarray, np.ndarray]:
    """(ids, float32 matrix) from (chunk id, float16 bytes) rows."""
    rows = list(rows)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    if not rows:
        return ids, np.zeros((0, 0), dtype=np.float32)
    blob = b"".join(r[1] for r in rows)
    matrix = np.frombuffer(blob, dtype=DTYPE).reshape(len(rows), -1).astype(np.float32)
    return ids, matrix


class VectorRepository:
    # True where the database ranks vectors itself (`nearest`); else callers load the matrix.
    in_database = False

    def __init__(self, db: DB) -> None:
        self.db = db

    def nearest(
        self, model: str, query: np.ndarray, n: int, filters: SearchFilters | None = None
    ) -> list[tuple[int, float]]:
        raise NotImplementedError("this database has no vector search; load() the matrix")

    def write(self, model: str, chunk_ids: list[int], matrix: np.ndarray) -> int:
        """Store (or replace) the vectors of these chunks; row i of `matrix` is chunk_ids[i]."""
        rows = [(cid, model, matrix[i].astype(DTYPE).tobytes()) for i, cid in enumerate(chunk_ids)]
        if rows:
            with self.db.transaction() as tx:
                tx.executemany(
                    "INSERT INTO chunk_vectors (chunk_id, model, vector) VALUES (?, ?, ?)"
                    " ON CONFLICT (chunk_id) DO UPDATE SET model = excluded.model,"
                    " vector = excluded.vector",
                    rows,
                )
        return len(rows)

    def chunks_of(self, article_ids: list[int]) -> list[tuple[int, str, str]]:
        """(chunk id, article title, chunk text) of every chunk of these articles."""
        if not article_ids:
            return []
        marks = ",".join("?" * len(article_ids))
        rows = self.db.query(
            "SELECT c.id, a.title, c.text FROM chunks c JOIN articles a ON a.id = c.article_id"
            f" WHERE c.article_id IN ({marks})",
            tuple(article_ids),
        )
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    def chunks_missing(self, model: str, limit: int) -> list[tuple[int, str, str]]:
        """Up to `limit` chunks with no vector from `model`, lowest ids first."""
        rows = self.db.query(
            "SELECT c.id, a.title, c.text FROM chunks c JOIN articles a ON a.id = c.article_id"
            " LEFT JOIN chunk_vectors v ON v.chunk_id = c.id AND v.model = ?"
            " WHERE v.chunk_id IS NULL ORDER BY c.id LIMIT ?",
            (model, limit),
        )
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    def missing_count(self, model: str) -> int:
        return int(
            self.db.query(
                "SELECT count(*) FROM chunks c LEFT JOIN chunk_vectors v"
                " ON v.chunk_id = c.id AND v.model = ? WHERE v.chunk_id IS NULL",
                (model,),
            )[0][0]
        )

    def load(self, model: str, after: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids ascending, float32 matrix) of `model`'s vectors with id > `after`."""
        rows = self.db.query(
            "SELECT chunk_id, vector FROM chunk_vectors WHERE model = ? AND chunk_id > ?"
            " ORDER BY chunk_id",
            (model, after),
        )
        return vectors_from_rows(rows)

    def count(self, model: str) -> int:
        return int(
            self.db.query("SELECT count(*) FROM chunk_vectors WHERE model = ?", (model,))[0][0]
        )

    def chunks_version(self) -> tuple[int, int]:
        """(highest chunk id, chunk count): both O(1) reads, and they change on every write."""
        top = self.db.query("SELECT max(id) FROM chunks")[0][0] or 0
        count = self.db.query("SELECT chunks FROM corpus_stats WHERE id = 1")[0][0]
        return int(top), int(count)

    def chunk_ids(self, filters: SearchFilters | None) -> np.ndarray | None:
        """Ids of the chunks whose articles pass the filters; None when nothing filters."""
        where, params = filter_sql(filters, like=self.db.like)
        if not where:
            return None
        rows = self.db.query(
            f"SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id WHERE {where}",
            tuple(params),
        )
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
