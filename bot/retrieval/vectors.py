"""Chunk vectors in SQLite: written with each ingest batch, recomputed when missing.

Vectors live in `chunk_vectors` as float16 BLOBs tagged with the embedder's name. Writing them
inside the ingest batch's transaction keeps articles and vectors together; when the embedder
fails (an endpoint is down) the batch still commits and the vectors are filled in later by
`fill_missing` (`briefbot reindex`, or lazily before a dense search).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

import numpy as np

from bot.retrieval.embeddings import Embedder, EmbeddingError
from bot.store.db import Database

log = logging.getLogger(__name__)

DTYPE = np.float16
FILL_BATCH = 2000


# Static embeddings are averages: the first ~250 words carry the topic; more only costs time.
MAX_EMBED_CHARS = 1500


def passage_text(title: str, text: str) -> str:
    """What gets embedded: the headline gives a short chunk its topic."""
    return f"{title}\n{text[:MAX_EMBED_CHARS]}"


class VectorStore:
    def __init__(self, db: Database, embedder: Embedder) -> None:
        self.db = db
        self.embedder = embedder

    @property
    def model(self) -> str:
        return self.embedder.name

    def _write(self, rows: list[tuple[int, str, str]]) -> int:
        if not rows:
            return 0
        matrix = self.embedder.embed([passage_text(title, text) for _, title, text in rows])
        blobs = [
            (cid, self.model, matrix[i].astype(DTYPE).tobytes())
            for i, (cid, _, _) in enumerate(rows)
        ]
        with self.db.transaction() as tx:
            tx.executemany(
                "INSERT OR REPLACE INTO chunk_vectors (chunk_id, model, vector) VALUES (?, ?, ?)",
                blobs,
            )
        return len(blobs)

    def add_articles(self, article_ids: list[int]) -> int:
        """Embed the chunks of freshly written articles; an embedder failure is only logged."""
        if not article_ids:
            return 0
        marks = ",".join("?" * len(article_ids))
        rows = self.db.query(
            "SELECT c.id, a.title, c.text FROM chunks c JOIN articles a ON a.id = c.article_id"
            f" WHERE c.article_id IN ({marks})",
            tuple(article_ids),
        )
        try:
            return self._write([(int(r[0]), str(r[1]), str(r[2])) for r in rows])
        except EmbeddingError as exc:
            log.warning("vectors left for later (briefbot reindex): %s", exc)
            return 0

    def missing_count(self) -> int:
        return int(
            self.db.query(
                "SELECT count(*) FROM chunks c LEFT JOIN chunk_vectors v"
                " ON v.chunk_id = c.id AND v.model = ? WHERE v.chunk_id IS NULL",
                (self.model,),
            )[0][0]
        )

    def fill_missing(
        self, limit: int | None = None, progress: Callable[[int], None] | None = None
    ) -> int:
        """Embed chunks with no vector from this model (new model, failed batch, old DB)."""
        done = 0
        while limit is None or done < limit:
            size = FILL_BATCH if limit is None else min(FILL_BATCH, limit - done)
            rows = self.db.query(
                "SELECT c.id, a.title, c.text FROM chunks c JOIN articles a ON a.id = c.article_id"
                " LEFT JOIN chunk_vectors v ON v.chunk_id = c.id AND v.model = ?"
                " WHERE v.chunk_id IS NULL ORDER BY c.id LIMIT ?",
                (self.model, size),
            )
            if not rows:
                break
            done += self._write([(int(r[0]), str(r[1]), str(r[2])) for r in rows])
            if progress:
                progress(done)
        return done

    def load(self, after: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids ascending, float32 matrix) of this model's vectors with id > `after`."""
        rows = self.db.query(
            "SELECT chunk_id, vector FROM chunk_vectors WHERE model = ? AND chunk_id > ?"
            " ORDER BY chunk_id",
            (self.model, after),
        )
        return vectors_from_rows(rows)

    def count(self) -> int:
        return int(
            self.db.query("SELECT count(*) FROM chunk_vectors WHERE model = ?", (self.model,))[0][0]
        )


def vectors_from_rows(rows: Iterable) -> tuple[np.ndarray, np.ndarray]:
    rows = list(rows)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    if not rows:
        return ids, np.zeros((0, 0), dtype=np.float32)
    blob = b"".join(r[1] for r in rows)
    matrix = np.frombuffer(blob, dtype=DTYPE).reshape(len(rows), -1).astype(np.float32)
    return ids, matrix
