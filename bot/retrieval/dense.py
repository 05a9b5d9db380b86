"""Dense retrieval: brute-force cosine over all chunk vectors, held in memory as float32.

Measured in docs/benchmarks.md (issue 7): a matrix-vector product over 253k x 256 float32
takes ~10-30 ms on this machine, so no ANN index is needed at our corpus sizes. The matrix is
loaded once and extended incrementally with vectors of newer chunks.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from bot.models import SearchFilters
from bot.retrieval.embeddings import EmbeddingError
from bot.retrieval.vectors import VectorStore

log = logging.getLogger(__name__)

# Chunks embedded at search time when some lack vectors (endpoint outage, embed_at_ingest off);
# small, so a question never waits long: `briefbot reindex` does the bulk.
LAZY_FILL_LIMIT = 2_000


class DenseIndex:
    def __init__(self, store: VectorStore) -> None:
        self.store = store
        self.ids = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, 0), dtype=np.float32)
        self._lock = threading.Lock()
        self._seen: tuple[int, int] | None = None

    def _fill_missing(self) -> None:
        """Embed (a few) chunks that lack vectors, once per change of the corpus."""
        key = self.store.repo.chunks_version()
        if key == self._seen:
            return
        try:
            if self.store.fill_missing(limit=LAZY_FILL_LIMIT) < LAZY_FILL_LIMIT:
                self._seen = key
        except EmbeddingError as exc:
            log.warning("dense index searched without missing vectors: %s", exc)

    def refresh(self) -> None:
        """Pick up vectors written since the last load; reload fully after deletions."""
        with self._lock:
            key = self.store.repo.chunks_version()
            if key == self._seen:
                return
            self._fill_missing()
            count = self.store.count()
            if count < len(self.ids):
                self.ids = np.zeros(0, dtype=np.int64)
                self.matrix = np.zeros((0, 0), dtype=np.float32)
            if count == len(self.ids):
                return
            after = int(self.ids[-1]) if len(self.ids) else 0
            ids, matrix = self.store.load(after)
            if len(ids) == 0:
                return
            if len(self.ids) == 0:
                self.ids, self.matrix = ids, matrix
            else:
                self.ids = np.concatenate([self.ids, ids])
                self.matrix = np.vstack([self.matrix, matrix])

    def _allowed(self, filters: SearchFilters | None) -> np.ndarray | None:
        allowed = self.store.repo.chunk_ids(filters)
        return None if allowed is None else np.isin(self.ids, allowed)

    def search(
        self, question: str, n: int, filters: SearchFilters | None = None
    ) -> list[tuple[int, float]]:
        """The `n` chunk ids most similar to the question, best first, with cosines.

        Where the database ranks vectors itself (pgvector) no matrix is held in memory."""
        in_database = self.store.repo.in_database
        if in_database:
            with self._lock:
                self._fill_missing()
        else:
            self.refresh()
        if (len(self.ids) == 0 and not in_database) or not question.strip():
            return []
        try:
            query = self.store.embedder.embed([question])[0]
        except EmbeddingError as exc:
            log.warning("dense retrieval skipped: %s", exc)
            return []
        if in_database:
            return self.store.repo.nearest(self.store.model, query, n, filters)
        if query.shape[0] != self.matrix.shape[1]:
            return []
        scores = self.matrix @ query
        mask = self._allowed(filters)
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self.ids[i]), float(scores[i])) for i in top if np.isfinite(scores[i])]
