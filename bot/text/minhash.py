"""MinHash signatures over word shingles, cut into LSH bands with stable 64-bit keys.

Fixed seeds and crc32 shingle hashes make band keys identical across processes, so they
can be stored and matched after a restart. Ten bands of five rows put the LSH threshold
near 0.63 Jaccard: a pair at 0.8 becomes a candidate with probability ~0.98, at 0.3 ~0.02.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)  # the words of `normalize.normalized_text`
_WORD_HASHES: dict[str, int] = {}

SHINGLE_WORDS = 3
BANDS = 10
ROWS = 5
PERMUTATIONS = BANDS * ROWS

_rng = np.random.default_rng(20230912)
_A = _rng.integers(1, 2**63, size=(PERMUTATIONS, 1), dtype=np.uint64) | np.uint64(1)
_B = _rng.integers(0, 2**63, size=(PERMUTATIONS, 1), dtype=np.uint64)
_BAND_MIX = _rng.integers(1, 2**63, size=(1, ROWS), dtype=np.uint64) | np.uint64(1)
_BAND_SALT = _rng.integers(0, 2**63, size=BANDS, dtype=np.uint64)
_SHIFT = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_GRAM_MIX = np.uint64(0x9E3779B97F4A7C15)


def basis_words(title: str, text: str) -> list[str]:
    """The words compared: the body alone when long (outlets retitle), else title + body."""
    body = _WORD.findall(text.lower())
    if sum(map(len, body)) + len(body) - 1 >= 200:  # its normalised length
        return body
    return _WORD.findall(title.lower()) + body


def _word_hashes(words: list[str]) -> list[int]:
    cache = _WORD_HASHES
    if len(cache) >= 500_000:
        cache.clear()
    hashes = [cache.get(w, -1) for w in words]
    for i, value in enumerate(hashes):
        if value < 0:
            hashes[i] = cache[words[i]] = zlib.crc32(words[i].encode("utf-8"))
    return hashes


def shingles(words: list[str], size: int = SHINGLE_WORDS, *, distinct: bool = True) -> np.ndarray:
    """32-bit hashes of the word n-grams (one gram when the text is shorter).

    Words are hashed once with crc32 (cached) and the n-gram hash is a fixed polynomial of
    its words' hashes, folded to 32 bits: no per-gram string building. `distinct=False`
    skips the sort, which MinHash does not need.
    """
    if not words:
        return np.empty(0, dtype=np.uint64)
    hashed = np.array(_word_hashes(words), dtype=np.uint64)
    span = min(size, len(words))
    count = len(words) - span + 1
    with np.errstate(over="ignore"):
        combined = hashed[:count].copy()
        for offset in range(1, span):
            combined = combined * _GRAM_MIX + hashed[offset : offset + count]
        folded = (combined ^ (combined >> _SHIFT)) & _LOW32
    return np.unique(folded) if distinct else folded


def signature(hashes: np.ndarray) -> np.ndarray:
    """MinHash with multiply-shift hashing: min over shingles of (a*h + b) >> 32, per row."""
    with np.errstate(over="ignore"):
        return ((_A * hashes[np.newaxis, :] + _B) >> _SHIFT).min(axis=1)


def band_keys(sig: np.ndarray) -> list[int]:
    """One signed 64-bit key per band (SQLite INTEGER), salted by band number."""
    with np.errstate(over="ignore"):
        mixed = (sig.reshape(BANDS, ROWS) * _BAND_MIX).sum(axis=1, dtype=np.uint64) ^ _BAND_SALT
    return list(mixed.view(np.int64).tolist())


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two sorted, distinct hash arrays."""
    if a.size == 0 or b.size == 0:
        return 0.0
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / (a.size + b.size - common)
