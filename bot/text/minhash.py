"""MinHash signatures over word shingles, cut into LSH bands with stable 64-bit keys.

Fixed seeds and crc32 shingle hashes make band keys identical across processes, so they
can be stored and matched after a restart. Ten bands of five rows put the LSH threshold
near 0.63 Jaccard: a pair at 0.8 becomes a candidate with probability ~0.98, at 0.3 ~0.02.
"""

from __future__ import annotations

import re
import zlib
from itertools import chain

import numpy as np

from bot.text.normalize import normalized_text
from bot.text.words import plain_words

_WORD = re.compile(r"\w+", re.UNICODE)  # the words of `normalize.normalized_text`

SHINGLE_WORDS = 3
BANDS = 10
ROWS = 5
PERMUTATIONS = BANDS * ROWS
MAX_WORDS = 50_000  # about 300 kB of prose; news articles stay far below

_rng = np.random.default_rng(20230912)
_A = _rng.integers(1, 2**63, size=(PERMUTATIONS, 1), dtype=np.uint64) | np.uint64(1)
_B = _rng.integers(0, 2**63, size=(PERMUTATIONS, 1), dtype=np.uint64)
_BAND_MIX = _rng.integers(1, 2**63, size=(1, ROWS), dtype=np.uint64) | np.uint64(1)
_BAND_SALT = _rng.integers(0, 2**63, size=BANDS, dtype=np.uint64)
_SHIFT = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_GRAM_MIX = np.uint64(0x9E3779B97F4A7C15)


def basis_words(
    title: str, text: str, normalized: str | None = None, split: list[str] | None = None
) -> list[str]:
    """The words compared: the body alone when long (outlets retitle), else title + body.

    Only the first `MAX_WORDS` words count, so fingerprinting a huge record costs no more
    than a long article (copies that share those words are near-duplicates anyway).
    `normalized`: the text's `normalize.normalized_text`, when the caller has it; for ASCII
    text it is exactly these words joined (lower-casing moves no ASCII word boundary).
    `split`: `normalized.split(" ")` (`[]` when empty), when the caller has it and the text
    is `plain_words`; it may be returned as it is, not copied.
    """
    body, length = _words(text, MAX_WORDS, normalized, split)
    if length >= 200:  # the body's normalised length
        return body
    return (_words(title, MAX_WORDS)[0] + body)[:MAX_WORDS]


def _words(
    text: str, limit: int, normalized: str | None = None, split: list[str] | None = None
) -> tuple[list[str], int]:
    """The first `limit` words, and their length joined by spaces. Each is lower-cased on
    its own (words hold no spaces, and lower-casing never makes one, so one join, lower and
    split do it in C); `plain_words` text is exactly its `normalized_text`'s words
    (`normalized` and `split`, when the caller has them)."""
    if split is not None and normalized is not None:
        if len(split) <= limit:
            return split, len(normalized)
        words = split[:limit]
    elif plain_words(text):
        joined = normalized_text(text) if normalized is None else normalized
        if not joined:
            return [], 0
        words = joined.split(" ", limit)
        if len(words) <= limit:
            return words, len(joined)
        del words[limit:]
    else:
        found = _WORD.findall(text)
        if not found:
            return [], 0
        joined = " ".join(found[:limit]).lower()
        words = joined.split(" ")
        if len(found) <= limit:
            return words, len(joined)
    return words, sum(map(len, words)) + len(words) - 1


# Columns (shingles) per MinHash block in `batch_band_keys`: 50 rows x 16k x 8 bytes = 6.5 MB.
_BLOCK_COLUMNS = 16_384


def _word_hashes(words: list[str]) -> np.ndarray:
    """crc32 of each word's UTF-8 bytes. Hashed afresh each time: a cache of words seen
    was slower to look up (a dict subclass through `map`) and held ~50 MB at 500,000 words."""
    return np.fromiter(map(zlib.crc32, map(str.encode, words)), dtype=np.uint64, count=len(words))


def shingles(words: list[str], size: int = SHINGLE_WORDS, *, distinct: bool = True) -> np.ndarray:
    """32-bit hashes of the word n-grams (one gram when the text is shorter).

    Words are hashed with crc32 and the n-gram hash is a fixed polynomial of
    its words' hashes, folded to 32 bits: no per-gram string building. `distinct=False`
    skips the sort, which MinHash does not need.
    """
    if not words:
        return np.empty(0, dtype=np.uint64)
    hashed = _word_hashes(words)
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


def batch_shingles(word_lists: list[list[str]]) -> list[np.ndarray]:
    """`shingles(words, distinct=False)` of many texts (each at least SHINGLE_WORDS words
    long) in a few array operations over their concatenation instead of a dozen per text."""
    if not word_lists:
        return []
    lengths = np.fromiter(map(len, word_lists), dtype=np.int64, count=len(word_lists))
    if int(lengths.min()) < SHINGLE_WORDS:
        raise ValueError(f"every text needs at least {SHINGLE_WORDS} words")
    hashed = _word_hashes(list(chain.from_iterable(word_lists)))
    total = hashed.size
    span = total - SHINGLE_WORDS + 1
    with np.errstate(over="ignore"):
        combined = hashed[:span].copy()
        for offset in range(1, SHINGLE_WORDS):
            combined = combined * _GRAM_MIX + hashed[offset : offset + span]
        folded = (combined ^ (combined >> _SHIFT)) & _LOW32
    counts = lengths - (SHINGLE_WORDS - 1)  # grams of each text
    gram_starts = np.cumsum(counts) - counts
    word_starts = np.cumsum(lengths) - lengths
    index = np.repeat(word_starts - gram_starts, counts) + np.arange(int(counts.sum()))
    grams = folded[index]
    ends = np.cumsum(counts).tolist()
    return [grams[start:end] for start, end in zip(gram_starts.tolist(), ends, strict=True)]


def batch_band_keys(grams: list[np.ndarray]) -> np.ndarray:
    """`band_keys(signature(g))` for each non-empty hash array: one row of BANDS keys each.

    The MinHash of a block of texts is one (PERMUTATIONS x shingles) product reduced per
    text with `minimum.reduceat`; keys are identical to the one-text functions, so keys
    stored by either match.
    """
    sigs = np.full((len(grams), PERMUTATIONS), np.iinfo(np.uint64).max, dtype=np.uint64)
    # pieces of at most one block each: a long text spans blocks, its minimum taken over all
    pieces = [
        (text, g[start : start + _BLOCK_COLUMNS])
        for text, g in enumerate(grams)
        for start in range(0, g.size, _BLOCK_COLUMNS)
    ]
    # one block's products, allocated once: fresh pages for every block cost kernel time
    buffer = np.empty((PERMUTATIONS, _BLOCK_COLUMNS), dtype=np.uint64)
    first = 0
    while first < len(pieces):
        last, columns = first, 0
        while last < len(pieces) and columns + pieces[last][1].size <= _BLOCK_COLUMNS:
            columns += pieces[last][1].size
            last += 1
        block = np.concatenate([g for _, g in pieces[first:last]])
        sizes = np.fromiter((g.size for _, g in pieces[first:last]), dtype=np.int64)
        owners = np.fromiter((t for t, _ in pieces[first:last]), dtype=np.int64)
        values = buffer[:, :columns]
        with np.errstate(over="ignore"):
            np.multiply(_A, block[np.newaxis, :], out=values)
            values += _B
        # the shift is monotone: shifting the minimum is the minimum of the shifted values
        mins = (np.minimum.reduceat(values, np.cumsum(sizes) - sizes, axis=1) >> _SHIFT).T
        # owners are distinct within a block: only a text's last piece can share one
        sigs[owners] = np.minimum(sigs[owners], mins)
        first = last
    with np.errstate(over="ignore"):
        rows = sigs.reshape(len(grams), BANDS, ROWS) * _BAND_MIX
        mixed = rows.sum(axis=2, dtype=np.uint64) ^ _BAND_SALT
    return mixed.view(np.int64)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two sorted, distinct hash arrays."""
    if a.size == 0 or b.size == 0:
        return 0.0
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / (a.size + b.size - common)
