"""The corpus fingerprint: a sum over passages of a hash of (id, content), kept by the store.

The store adds a passage's hash when it writes it and subtracts it when it deletes it
(`corpus_stats.id_hash`); the postings index keeps the same sum over what it has indexed.
Equal passage counts and equal sums mean the index holds exactly the store's passages, so
one small query tells whether the index has to catch up, even when passages were added by
another process, committed out of id order, deleted, or their ids reused with new text.
"""

from __future__ import annotations

import zlib

MODULUS = (1 << 61) - 1  # a prime; sums of two values fit in SQLite's signed 64-bit INTEGER
_MASK = (1 << 64) - 1


def passage_hash(chunk_id: int, title: str, text: str) -> int:
    """The hash of one passage: its id and its content (its article's title and its text)."""
    crc = zlib.crc32(f"{title}\n{text}".encode("utf-8", "surrogatepass"))
    return (((chunk_id * 0x9E3779B97F4A7C15) ^ (crc * 0xC2B2AE3D27D4EB4F)) & _MASK) % MODULUS


def combine(total: int, change: int) -> int:
    """`total` plus `change` (negative to remove), modulo MODULUS."""
    return (total + change) % MODULUS
