"""The corpus fingerprint: a sum over passages of a hash of (id, content), kept by the store.

The store adds a passage's hash when it writes it and subtracts it when it deletes it
(`corpus_stats.id_hash`); the postings index keeps the same sum over what it has indexed.
Equal passage counts and equal sums mean the index holds exactly the store's passages, so
one small query tells whether the index has to catch up, even when passages were added by
another process, committed out of id order, deleted, or their ids reused with new text.
"""

from __future__ import annotations

import zlib

import numpy as np

MODULUS = (1 << 61) - 1  # a prime; sums of two values fit in SQLite's signed 64-bit INTEGER
_MASK = (1 << 64) - 1
_ID_MIX = 0x9E3779B97F4A7C15
_CRC_MIX = 0xC2B2AE3D27D4EB4F


def passage_hash(chunk_id: int, title: str, text: str) -> int:
    """The hash of one passage: its id and its content (its article's title and its text)."""
    crc = passage_crc(title, text)
    return (((chunk_id * _ID_MIX) ^ (crc * _CRC_MIX)) & _MASK) % MODULUS


def passage_crc(title: str, text: str) -> int:
    """The content part of `passage_hash` (computed where the passage is prepared)."""
    return zlib.crc32(f"{title}\n{text}".encode("utf-8", "surrogatepass"))


def passage_hashes(chunk_ids: np.ndarray, crcs: np.ndarray) -> np.ndarray:
    """`passage_hash` of many passages from their ids and `passage_crc`s (uint64)."""
    ids = np.asarray(chunk_ids, dtype=np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):  # unsigned products wrap modulo 2**64, as _MASK does
        mixed = (ids * np.uint64(_ID_MIX)) ^ (np.asarray(crcs, np.uint64) * np.uint64(_CRC_MIX))
    return mixed % np.uint64(MODULUS)


def sum_hashes(hashes: np.ndarray) -> int:
    """The sum of uint64 passage hashes modulo MODULUS, without overflow."""
    values = np.asarray(hashes, dtype=np.uint64)
    high = int(np.sum(values >> np.uint64(32), dtype=np.uint64))
    low = int(np.sum(values & np.uint64(0xFFFFFFFF), dtype=np.uint64))
    return ((high << 32) + low) % MODULUS


def combine(total: int, change: int) -> int:
    """`total` plus `change` (negative to remove), modulo MODULUS."""
    return (total + change) % MODULUS
