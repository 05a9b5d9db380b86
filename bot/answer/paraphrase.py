"""Paraphrase tolerance: a question word missing from a sentence may be there in other words.

"How many Palestinians have been injured?" against "… 12,493 wounded": the offline wordllama
embeddings (already the dense retriever's) put "injured" and "wounded" close. A missing
question word earns its cosine with the closest word of the sentence's context, when that
reaches SIMILAR; below that, words are merely related (killed/injured, state/Kansas).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.text.words import stem

SIMILAR = 0.45
CACHE_WORDS = 50_000


class WordSimilarity:
    """Word-to-word cosine under wordllama, each word embedded once per process."""

    def __init__(self) -> None:
        self._vectors: dict[str, Any] = {}

    def _embed(self, words: Iterable[str]) -> None:
        from bot.retrieval.embeddings import WordLlamaEmbedder

        if len(self._vectors) > CACHE_WORDS:  # before choosing: every word asked stays
            self._vectors.clear()
        new = [w for w in dict.fromkeys(words) if w not in self._vectors]
        if not new:
            return
        for w, v in zip(new, WordLlamaEmbedder().embed(new), strict=True):
            self._vectors[w] = v

    def __call__(self, missing: list[str], present: set[str]) -> dict[str, float]:
        """For each missing word (keyed by its stem), its best cosine ≥ SIMILAR, if any."""
        import numpy as np

        candidates = [w for w in present if len(w) > 2 and not w.isdigit()]
        if not missing or not candidates:
            return {}
        self._embed([*missing, *candidates])
        table = np.stack([self._vectors[w] for w in candidates])
        found: dict[str, float] = {}
        for word in missing:
            best = float(np.max(table @ self._vectors[word]))
            if best >= SIMILAR:
                found[stem(word)] = best
        return found
