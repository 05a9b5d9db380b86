"""Chunk vectors: written with each ingest batch, recomputed when missing.

Vectors are stored tagged with the embedder's name (`bot.store.vectors`). They are written
after the ingest batch commits; when the embedder fails (an endpoint is down) the batch is
kept and the vectors are filled in later by `fill_missing` (`briefbot reindex`, or lazily
before a dense search).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from bot.retrieval.embeddings import Embedder, EmbeddingError
from bot.store.vectors import VectorRepository

log = logging.getLogger(__name__)

FILL_BATCH = 2000


# Static embeddings are averages: the first ~250 words carry the topic; more only costs time.
MAX_EMBED_CHARS = 1500


def passage_text(title: str, text: str) -> str:
    """What gets embedded: the headline gives a short chunk its topic."""
    return f"{title}\n{text[:MAX_EMBED_CHARS]}"


class VectorStore:
    def __init__(self, repo: VectorRepository, embedder: Embedder) -> None:
        self.repo = repo
        self.embedder = embedder

    @property
    def model(self) -> str:
        return self.embedder.name

    def _write(self, rows: list[tuple[int, str, str]]) -> int:
        if not rows:
            return 0
        matrix = self.embedder.embed([passage_text(title, text) for _, title, text in rows])
        return self.repo.write(self.model, [cid for cid, _, _ in rows], matrix)

    def add_articles(self, article_ids: list[int]) -> int:
        """Embed the chunks of freshly written articles; an embedder failure is only logged."""
        if not article_ids:
            return 0
        try:
            return self._write(self.repo.chunks_of(article_ids))
        except EmbeddingError as exc:
            log.warning("vectors left for later (briefbot reindex): %s", exc)
            return 0

    def missing_count(self) -> int:
        return self.repo.missing_count(self.model)

    def fill_missing(
        self, limit: int | None = None, progress: Callable[[int], None] | None = None
    ) -> int:
        """Embed chunks with no vector from this model (new model, failed batch, old DB)."""
        done = 0
        while limit is None or done < limit:
            size = FILL_BATCH if limit is None else min(FILL_BATCH, limit - done)
            rows = self.repo.chunks_missing(self.model, size)
            if not rows:
                break
            done += self._write(rows)
            if progress:
                progress(done)
        return done

    def load(self, after: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids ascending, float32 matrix) of this model's vectors with id > `after`."""
        return self.repo.load(self.model, after)

    def count(self) -> int:
        return self.repo.count(self.model)
