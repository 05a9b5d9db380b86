"""The persistent LSH index of near-duplicates: band keys in the store, exact check on candidates.

Ingest works a batch at a time: `NearDuplicateIndex.batch` fingerprints the whole batch in
a few array operations and fetches every stored band key it could match at once;
`NearDuplicateBatch.find` then checks one article at a time, seeing the stored articles and
those added earlier in the same batch, and `flush` writes the batch's band keys inside the
caller's transaction.

SQLite keeps each article's keys in one row of `near_dup_prints` (appended in id order)
and looks keys up in memory (`PrintsIndex`): a B-tree keyed by band key takes ten random
inserts per article, and at a few hundred thousand articles every batch rewrote most of its
pages. PostgreSQL keeps the `near_dup_bands` table (several instances write at once, and
ids from its sequences need not commit in order).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np

from bot.models import ArticleIn
from bot.store.db import DB, in_batches
from bot.text.minhash import (
    BANDS,
    SHINGLE_WORDS,
    basis_words,
    batch_band_keys,
    batch_shingles,
    jaccard,
    shingles,
)

# Band keys per lookup query (SQLite allows 32,766 parameters; a 500-article batch has ~5,000).
_KEYS_PER_QUERY = 4_000
# Rows of `near_dup_prints` read per query when loading them into memory.
_LOAD_ROWS = 20_000
_INT32_IDS = 2**31
# A print row's `keys`: the article's band keys as little-endian 64-bit integers.
PRINT_DTYPE = "<i8"
# Candidates checked exactly per article, lowest ids first (a band shared by many articles,
# e.g. a boilerplate teaser, must not make one lookup read thousands of texts).
_MAX_CANDIDATES = 50
# Stored texts read and shingled at a time by a batch's prefetch (their words in memory).
_TEXTS_PER_QUERY = 500
_EMPTY = np.empty(0, dtype=np.uint64)
# Entries of the shorter run placed at a time when two runs of key prefixes merge.
_MERGE_SLICE = 1 << 18


@dataclass
class NearMatch:
    article_id: int
    similarity: float


@dataclass
class _Print:
    grams: np.ndarray  # shingle hashes, not distinct
    keys: list[int]
    row: int  # its row of the batch's key matrix
    may_match: bool  # a key is stored already or shared with another article of the batch
    in_batch: bool  # a key is shared with another article of the batch
    distinct: np.ndarray | None = None

    def shingles(self) -> np.ndarray:
        if self.distinct is None:
            self.distinct = _sorted_distinct(self.grams)
        return self.distinct


@dataclass
class NearDuplicateBatch:
    """Near-duplicate checks for one ingest batch (positions are indexes into its articles).

    Most articles share no band key with a stored article nor with another of the batch:
    the batch finds those in one array operation, and `find` and `add` skip them at once.
    """

    index: NearDuplicateIndex
    threshold: float
    prints: list[_Print | None]
    stored: dict[int, list[int]]  # band key -> ids of stored articles with it
    keys: np.ndarray  # int64 (prints, BANDS): each print's band keys
    added: dict[int, list[int]] = field(default_factory=dict)  # same for this batch's articles
    added_prints: dict[int, _Print] = field(default_factory=dict)
    added_rows: list[int] = field(default_factory=list)  # key-matrix rows stored, and
    added_ids: list[int] = field(default_factory=list)  # the ids they were stored as
    texts: dict[int, np.ndarray] | None = None  # stored candidates' shingles (`_prefetch`)

    def find(self, position: int) -> NearMatch | None:
        """The most similar earlier article at or above the threshold, if any."""
        fp = self.prints[position]
        if fp is None or not fp.may_match:
            return None
        ids: set[int] = set()
        for key in fp.keys:
            ids.update(self.stored.get(key, ()))
            ids.update(self.added.get(key, ()))
        if not ids:
            return None
        candidates = sorted(ids)
        stored = [i for i in candidates if i not in self.added_prints]
        texts = self._prefetched(stored) if stored else {}
        best: NearMatch | None = None
        for article_id in candidates:
            other = self.added_prints.get(article_id)
            hashes = other.shingles() if other is not None else texts.get(article_id)
            if hashes is None:  # deleted since its bands were written
                continue
            score = jaccard(fp.shingles(), hashes)
            if score >= self.threshold and (best is None or score > best.similarity):
                best = NearMatch(article_id, score)
        return best

    def _prefetched(self, ids: list[int]) -> dict[int, np.ndarray]:
        """`_stored_shingles(ids)` (ids ascending) from the batch's prefetch when it holds
        the first _MAX_CANDIDATES of them; else (one was deleted since) read as before."""
        if self.texts is None:
            self.texts = self._prefetch()
        wanted = ids[:_MAX_CANDIDATES]
        texts = self.texts
        if all(i in texts for i in wanted):
            return {i: texts[i] for i in wanted}
        return self._stored_shingles(ids)

    def _prefetch(self) -> dict[int, np.ndarray]:
        """The shingles of every stored article that a `find` of this batch may compare,
        read and made once each: wire copies of one story meet the same stored articles."""
        wanted: set[int] = set()
        for fp in self.prints:
            if fp is None or not fp.may_match:
                continue
            candidates: set[int] = set()
            for key in fp.keys:
                candidates.update(self.stored.get(key, ()))
            wanted.update(sorted(candidates)[:_MAX_CANDIDATES])
        texts: dict[int, np.ndarray] = {}
        for part, marks in in_batches(sorted(wanted), _TEXTS_PER_QUERY):
            rows = self.index.db.query(
                f"SELECT id, title, text FROM articles WHERE id IN ({marks})", tuple(part)
            )
            words = [basis_words(title, text) for _, title, text in rows]
            texts.update(zip((int(r[0]) for r in rows), distinct_shingles(words), strict=True))
        return texts

    def _stored_shingles(self, ids: list[int]) -> dict[int, np.ndarray]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.index.db.query(
            f"SELECT id, title, text FROM articles WHERE id IN ({marks}) ORDER BY id LIMIT ?",
            (*ids, _MAX_CANDIDATES),
        )
        return {int(i): shingles(basis_words(title, text)) for i, title, text in rows}

    def add(self, position: int, article_id: int) -> None:
        """`article_id` was stored for the article at `position`: later ones may match it."""
        fp = self.prints[position]
        if fp is None:
            return
        self.added_rows.append(fp.row)
        self.added_ids.append(article_id)
        if not fp.in_batch:  # no later article of the batch can reach it by a key
            return
        self.added_prints[article_id] = fp
        added = self.added
        for key in fp.keys:
            holders = added.get(key)
            if holders is None:
                added[key] = [article_id]
            else:
                holders.append(article_id)

    def flush(self) -> None:
        """Write the band rows of the articles added (call inside the batch transaction)."""
        if not self.added_ids:
            return
        self.index.write(self.keys[self.added_rows], np.asarray(self.added_ids, dtype=np.int64))
        self.added_rows, self.added_ids = [], []


@dataclass
class BatchPrints:
    """The fingerprints of one batch's articles, made without the store (so in any
    process): the positions of the articles long enough to compare, their shingle hashes
    concatenated (`sizes` per article) and one row of band keys each."""

    count: int  # articles in the batch
    positions: np.ndarray  # int64, ascending
    grams: np.ndarray  # uint64
    sizes: np.ndarray  # int64, one per position
    keys: np.ndarray  # int64 (positions, BANDS)

    def split_grams(self) -> list[np.ndarray]:
        if not self.sizes.size:
            return []
        return np.split(self.grams, np.cumsum(self.sizes)[:-1].tolist())


def batch_prints(
    texts: Sequence[tuple[str, str] | None],
    min_words: int,
    normalized: Sequence[str | None] | None = None,
    splits: Sequence[list[str] | None] | None = None,
) -> BatchPrints:
    """Fingerprint each (title, text) (None: skipped) with at least `min_words` words.
    `normalized`: each text's `normalized_text`, when the caller has it; `splits`: its
    `basis_words` split, where the caller has that too."""
    min_words = max(min_words, SHINGLE_WORDS)
    word_lists: list[list[str]] = []
    positions: list[int] = []
    for position, pair in enumerate(texts):
        if pair is None:
            continue
        body = normalized[position] if normalized is not None else None
        split = splits[position] if splits is not None else None
        words = basis_words(pair[0], pair[1], body, split)
        if len(words) >= min_words:
            word_lists.append(words)
            positions.append(position)
    grams = batch_shingles(word_lists)
    matrix = batch_band_keys(grams) if grams else np.empty((0, BANDS), dtype=np.int64)
    sizes = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
    flat = np.concatenate(grams) if grams else np.empty(0, dtype=np.uint64)
    return BatchPrints(len(texts), np.asarray(positions, dtype=np.int64), flat, sizes, matrix)


class NearDuplicateIndex:
    """Finds a stored article whose word shingles overlap an incoming one by >= threshold.

    Candidates come from shared LSH band keys; each is confirmed by exact Jaccard over the
    stored text, so a band collision never merges unrelated stories.
    """

    def __init__(self, db: DB, threshold: float, min_words: int) -> None:
        self.db = db
        self.threshold = threshold
        self.min_words = max(min_words, 3)

    def batch(
        self, articles: Sequence[ArticleIn | None], normalized: Sequence[str] | None = None
    ) -> NearDuplicateBatch:
        """Fingerprint `articles` (None: skipped) and load the stored bands they could match.
        `normalized`: each article's `normalized_text` of its text, when the caller has it."""
        texts = [(a.title, a.text) if a is not None else None for a in articles]
        return self.batch_of(batch_prints(texts, self.min_words, normalized))

    def batch_of(self, prints: BatchPrints) -> NearDuplicateBatch:
        """The batch's checks from its fingerprints (`batch_prints`, made in this process or
        another): loads the stored bands they could match."""
        matrix = prints.keys
        distinct, counts = np.unique(matrix, return_counts=True)
        stored = self._stored_bands(distinct.tolist())
        # a key more than once in the matrix: in two rows of it, or twice in one (harmless)
        in_batch = _any_per_row(np.isin(matrix, distinct[counts > 1]))
        known = np.fromiter(stored, dtype=np.int64, count=len(stored))
        in_store = _any_per_row(np.isin(matrix, known))
        found: list[_Print | None] = [None] * prints.count
        for row, (position, text_grams, text_keys) in enumerate(
            zip(prints.positions.tolist(), prints.split_grams(), matrix.tolist(), strict=True)
        ):
            shared = in_batch[row]
            found[position] = _Print(text_grams, text_keys, row, shared or in_store[row], shared)
        return NearDuplicateBatch(self, self.threshold, found, stored, matrix)

    def write(self, keys: np.ndarray, ids: np.ndarray) -> None:
        """Store the band keys (one row of BANDS per article) of the articles `ids` (call
        inside the batch transaction); a row per key in `near_dup_bands` (PostgreSQL)."""
        owners = np.repeat(ids, keys.shape[1])
        keys = keys.ravel()
        order = np.lexsort((owners, keys))  # in index order: fewer pages touched
        keys, owners = keys[order], owners[order]
        with self.db.transaction() as tx:  # one statement instead of a row each
            tx.execute(
                "INSERT INTO near_dup_bands (band_key, article_id)"
                " SELECT * FROM unnest(?::bigint[], ?::bigint[]) ON CONFLICT DO NOTHING",
                (keys.tolist(), owners.tolist()),
            )

    def _stored_bands(self, keys: list[int]) -> dict[int, list[int]]:
        """Band key -> the stored articles that have it, for the keys given."""
        found: dict[int, list[int]] = {}
        for part, marks in in_batches(keys, _KEYS_PER_QUERY):
            for key, article_id in self.db.query(
                f"SELECT band_key, article_id FROM near_dup_bands WHERE band_key IN ({marks})",
                tuple(part),
            ):
                found.setdefault(int(key), []).append(int(article_id))
        return found


class PrintsIndex(NearDuplicateIndex):
    """SQLite: each article's band keys in one row of `near_dup_prints`, appended in id
    order; looked up through the high 32 bits of every stored key, held in memory as a few
    sorted runs, and each candidate confirmed against its stored row, so lookups answer
    exactly what the table holds (a deleted article's keys linger in memory, never in
    answers).

    Memory follows the table by reading the rows written since its newest (by any process:
    SQLite commits ids in order, and the look-up runs inside the write transaction). If that
    newest row changed (deleted, its id reused), everything is read again.
    """

    def __init__(self, db: DB, threshold: float, min_words: int) -> None:
        super().__init__(db, threshold, min_words)
        self._lock = threading.Lock()
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []  # (key prefixes, article ids)
        self._newest: tuple[int, bytes] | None = None  # the newest row read

    def write(self, keys: np.ndarray, ids: np.ndarray) -> None:
        rows = np.ascontiguousarray(keys, dtype=PRINT_DTYPE)
        with self.db.transaction() as tx:
            tx.executemany(
                "INSERT INTO near_dup_prints (article_id, keys) VALUES (?, ?)",
                zip(ids.tolist(), map(bytes, rows), strict=True),
            )

    def _stored_bands(self, keys: list[int]) -> dict[int, list[int]]:
        if not keys:
            return {}
        with self._lock:
            self._catch_up()
            wanted = np.asarray(keys, dtype=np.int64)
            prefixes = _prefixes(wanted)
            candidates: set[int] = set()
            for run, owners in self._runs:
                low = np.searchsorted(run, prefixes, "left")
                high = np.searchsorted(run, prefixes, "right")
                hit = high > low
                for a, b in zip(low[hit].tolist(), high[hit].tolist(), strict=True):
                    candidates.update(owners[a:b].tolist())
        found: dict[int, list[int]] = {}
        asked = set(keys)
        for part, marks in in_batches(sorted(candidates), _KEYS_PER_QUERY):
            for article_id, blob in self.db.query(
                f"SELECT article_id, keys FROM near_dup_prints WHERE article_id IN ({marks})"
                " ORDER BY article_id",
                tuple(part),
            ):
                for key in asked.intersection(print_keys(blob)):
                    found.setdefault(key, []).append(int(article_id))
        return found

    def _catch_up(self) -> None:
        after = 0
        if self._newest is not None:
            newest_id, newest_keys = self._newest
            row = self.db.query(
                "SELECT keys FROM near_dup_prints WHERE article_id = ?", (newest_id,)
            )
            if row and bytes(row[0][0]) == newest_keys:
                after = newest_id
            else:
                self._runs, self._newest = [], None
        while True:
            rows = self.db.query(
                "SELECT article_id, keys FROM near_dup_prints WHERE article_id > ?"
                " ORDER BY article_id LIMIT ?",
                (after, _LOAD_ROWS),
            )
            if not rows:
                return
            self._add_run(rows)
            after = int(rows[-1][0])
            self._newest = (after, bytes(rows[-1][1]))
            if len(rows) < _LOAD_ROWS:
                return

    def _add_run(self, rows: list[Any]) -> None:
        blobs = [bytes(blob) for _, blob in rows]
        keys = np.frombuffer(b"".join(blobs), dtype=PRINT_DTYPE)
        counts = np.fromiter((len(b) // 8 for b in blobs), dtype=np.int64, count=len(blobs))
        ids = np.fromiter((int(i) for i, _ in rows), dtype=np.int64, count=len(rows))
        owners = np.repeat(ids, counts)
        if ids.size and int(ids.max()) < _INT32_IDS:
            owners = owners.astype(np.int32)
        prefixes = _prefixes(keys)
        order = np.argsort(prefixes, kind="stable")
        self._runs.append((prefixes[order], owners[order]))
        # merge while the newest run is at least half the one before: O(log n) runs
        while len(self._runs) >= 2 and self._runs[-1][0].size * 2 >= self._runs[-2][0].size:
            older, newer = self._runs[-2:]
            self._runs[-2:] = [_merge_runs(older, newer)]


def distinct_shingles(word_lists: list[list[str]]) -> list[np.ndarray]:
    """`shingles(words)` of each of many texts; those of at least SHINGLE_WORDS words made
    and sorted together (each gram keyed by its text in the high bits) instead of a
    dozen array operations per text."""
    found: list[np.ndarray] = []
    long: list[list[str]] = []
    for words in word_lists:
        if len(words) >= SHINGLE_WORDS:
            long.append(words)
            found.append(_EMPTY)  # filled in below
        else:
            found.append(shingles(words))
    if not long:
        return found
    grams = batch_shingles(long)
    sizes = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
    texts = np.repeat(np.arange(len(grams), dtype=np.uint64), sizes)
    keys = _sorted_distinct((texts << np.uint64(32)) | np.concatenate(grams))
    bounds = np.searchsorted(keys >> np.uint64(32), np.arange(len(grams) + 1, dtype=np.uint64))
    values = keys & np.uint64(0xFFFFFFFF)
    spans = iter(pairwise(bounds.tolist()))
    for position, words in enumerate(word_lists):
        if len(words) >= SHINGLE_WORDS:
            start, end = next(spans)
            found[position] = values[start:end]
    return found


def _sorted_distinct(values: np.ndarray) -> np.ndarray:
    """`np.unique(values)` by a sort (numpy's unique hashes first: several times slower
    on these integers)."""
    ordered = np.sort(values)
    first = np.empty(ordered.size, dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


def _merge_runs(
    older: tuple[np.ndarray, np.ndarray], newer: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted runs (prefixes, owners) as one, the older's entries first among equal
    prefixes (a stable sort of the two concatenated): the shorter run's entries are put
    in their places found by binary search, the longer's fill the rest in order. No sort
    and no index of the whole: an argsort of millions of keys took ~50 MB at its peak."""
    (a, a_ids), (b, b_ids) = older, newer
    prefixes = np.empty(a.size + b.size, dtype=a.dtype)
    owners = np.empty(a.size + b.size, dtype=np.result_type(a_ids, b_ids))
    if b.size <= a.size:
        (short, short_ids), (long, long_ids), side = newer, older, "right"
    else:
        (short, short_ids), (long, long_ids), side = older, newer, "left"
    rest = np.ones(prefixes.size, dtype=bool)
    for start in range(0, short.size, _MERGE_SLICE):
        part = short[start : start + _MERGE_SLICE]
        place = np.searchsorted(long, part, side=side)  # type: ignore[call-overload]
        place += np.arange(start, start + part.size)
        rest[place] = False
        prefixes[place], owners[place] = part, short_ids[start : start + part.size]
    prefixes[rest], owners[rest] = long, long_ids
    return prefixes, owners


def print_keys(blob: bytes) -> list[int]:
    """The band keys stored in one `near_dup_prints.keys` value."""
    return np.frombuffer(blob, dtype=PRINT_DTYPE).tolist()


def _prefixes(keys: np.ndarray) -> np.ndarray:
    """The high 32 bits of 64-bit band keys (a lookup's first, inexact step)."""
    return (keys.view(np.uint64) >> np.uint64(32)).astype(np.uint32)


def _any_per_row(flags: np.ndarray) -> list[bool]:
    return [bool(x) for x in np.any(flags, axis=1).tolist()]
