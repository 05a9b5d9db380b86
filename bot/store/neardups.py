"""The persistent LSH index of near-duplicates: band keys in SQLite, exact check on candidates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.models import ArticleIn
from bot.store.db import Database
from bot.text.minhash import band_keys, basis_words, jaccard, shingles, signature


@dataclass
class Fingerprint:
    hashes: np.ndarray
    keys: list[int]


@dataclass
class NearMatch:
    article_id: int
    similarity: float


class NearDuplicateIndex:
    """Finds a stored article whose word shingles overlap an incoming one by >= threshold.

    Candidates come from shared LSH band keys; each is confirmed by exact Jaccard over the
    stored text, so a band collision never merges unrelated stories.
    """

    def __init__(self, db: Database, threshold: float, min_words: int) -> None:
        self.db = db
        self.threshold = threshold
        self.min_words = min_words

    def fingerprint(self, article: ArticleIn) -> Fingerprint | None:
        words = basis_words(article.title, article.text)
        if len(words) < self.min_words:
            return None
        hashes = shingles(words)
        return Fingerprint(hashes, band_keys(signature(hashes)))

    def find(self, fp: Fingerprint) -> NearMatch | None:
        marks = ",".join("?" * len(fp.keys))
        rows = self.db.query(
            "SELECT a.id, a.title, a.text FROM articles a WHERE a.id IN ("
            f"SELECT DISTINCT article_id FROM near_dup_bands WHERE band_key IN ({marks})"
            ") ORDER BY a.id LIMIT 50",
            tuple(fp.keys),
        )
        best: NearMatch | None = None
        for article_id, title, text in rows:
            score = jaccard(fp.hashes, shingles(basis_words(title, text)))
            if score >= self.threshold and (best is None or score > best.similarity):
                best = NearMatch(int(article_id), score)
        return best

    def add(self, article_id: int, fp: Fingerprint) -> None:
        with self.db.transaction() as tx:
            tx.executemany(
                "INSERT OR IGNORE INTO near_dup_bands (band_key, article_id) VALUES (?, ?)",
                [(key, article_id) for key in fp.keys],
            )
