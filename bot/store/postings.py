"""The postings index beside the store: every passage's stems, as numpy arrays on disk.

The store (SQLite or PostgreSQL) is the only source of truth; this index is derived from it
and follows it. It answers "which passages hold this stem, how often in the title and in
the text" from memory-mapped arrays, so BM25 scores every matching passage exactly in a few
array operations instead of asking the database for candidates and re-reading their text.

Consistency: the index keeps the same fingerprint as the store (`bot.store.fingerprint`:
passage count and a sum of per-passage hashes of id and content). `sync()` compares the
two with one small query; on a difference it reads the passages above its highest id
(ingest here or in another process), and if that does not make them equal it compares id
lists (deletions, out-of-order commits) and at last rebuilds from the store. A missing,
unreadable or foreign index (another store's id) is rebuilt. So answers never come from a
stale index: a query after an ingest, a delete or a crash sees exactly the store.

On disk (a directory per store): immutable segments (a folder of .npy files each) and a
manifest naming them, replaced atomically; a crash leaves the previous manifest and at
worst an orphan folder, removed by the next writer. One process at a time writes (a lock
file); the others catch up in memory. Segments are merged so that there are few of them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import mmap
import os
import shutil
import threading
import uuid
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import chain, pairwise
from pathlib import Path

import numpy as np

from bot.store.fingerprint import MODULUS, passage_hash
from bot.store.records import TokenisedPassages
from bot.store.search import IndexRow, IndexState, SearchIndex
from bot.text.words import fresh_stem, word_tokens

FORMAT = 1
# Passages read from the store per catch-up step (bounded memory while rebuilding).
READ_BATCH = 20_000
# Rows caught up in memory before `sync` writes them to disk.
PERSIST_ROWS = 20_000
# Surface words remembered with their term number (a C-level lookup after the first sight);
# the table is emptied between segments once it holds this many (a batch adds up to ~20,000).
WORD_CACHE = 80_000
# Segments are merged up to this many rows (merging costs memory in proportion), unless
# there would be more than MAX_SEGMENTS of them.
MERGE_ROWS = 65_536
MAX_SEGMENTS = 12
# Postings merged and written at a time by `write_merged`.
MERGE_CHUNK = 1 << 18
_SEGMENT_FILES = (
    *("ids", "lens", "when", "mix"),  # per row
    *("thash", "tptr", "tstr", "toff"),  # per term
    *("pdoc", "ptt", "pbt"),  # per posting
)


def term_hash(term: str) -> int:
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little")


def _seconds(value: str | None) -> int:
    return int(datetime.fromisoformat(value).timestamp()) if value else 0


class TermTable(dict[str, int]):
    """Surface word -> the number of its stem (term), each word stemmed once, so tokens
    become term numbers in one C-level look-up each; per number the term's `term_hash`
    and UTF-8 bytes, computed once. Numbers are only meaningful between `start_segment`
    calls: a full table is emptied there, so a long ingest does not grow without limit."""

    def __init__(self) -> None:
        super().__init__()
        self._numbers: dict[bytes, int] = {}  # term (UTF-8) -> number
        self.encoded: list[bytes] = []  # number -> term, UTF-8 (the same objects)
        self._hashes = array("Q")  # 8 bytes a term, not a Python int
        self._hash_array = np.empty(0, dtype=np.uint64)

    def __missing__(self, word: str) -> int:
        term = fresh_stem(word)
        encoded = term.encode("utf-8")
        number = self._numbers.get(encoded)
        if number is None:
            number = self._numbers[encoded] = len(self.encoded)
            self.encoded.append(encoded)
            self._hashes.append(term_hash(term))
        self[word] = number
        return number

    def start_segment(self) -> None:
        if len(self) >= WORD_CACHE:
            self.clear()
            self._numbers.clear()
            self.encoded.clear()
            del self._hashes[:]
            self._hash_array = np.empty(0, dtype=np.uint64)

    def hashes(self) -> np.ndarray:
        """`term_hash` of every term number so far (uint64)."""
        if self._hash_array.size != len(self._hashes):
            self._hash_array = np.frombuffer(self._hashes, dtype=np.uint64).copy()
        return self._hash_array


@dataclass
class Segment:
    """Passages `ids` (one row each) and their postings, grouped by term hash.

    Postings of term i are `pdoc[tptr[i]:tptr[i+1]]` (row numbers, ascending) with the
    term's count in the title (`ptt`) and in the text (`pbt`). `tstr[toff[i]:toff[i+1]]`
    is the term itself, checked on lookup so a hash collision cannot answer another term.
    """

    ids: np.ndarray  # int64 chunk ids
    lens: np.ndarray  # int32 words (title + text), BM25's document length
    when: np.ndarray  # int64 seconds: published, else ingested
    mix: np.ndarray  # uint64 passage hashes (the fingerprint's terms)
    thash: np.ndarray  # uint64, sorted
    tptr: np.ndarray  # int64, len(thash) + 1
    tstr: np.ndarray  # uint8
    toff: np.ndarray  # int64, len(thash) + 1
    pdoc: np.ndarray  # int32
    ptt: np.ndarray  # uint8
    pbt: np.ndarray  # uint16
    name: str | None = None  # folder name once written

    @property
    def size(self) -> int:
        return int(self.ids.size)

    def postings(self, term: str, hashed: int) -> slice | None:
        i = int(np.searchsorted(self.thash, np.uint64(hashed)))
        wanted = term.encode("utf-8")
        while i < self.thash.size and int(self.thash[i]) == hashed:
            if self.tstr[self.toff[i] : self.toff[i + 1]].tobytes() == wanted:
                return slice(int(self.tptr[i]), int(self.tptr[i + 1]))
            i += 1
        return None

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True)
        for name in _SEGMENT_FILES:
            _write_array(folder / f"{name}.npy", getattr(self, name))

    @classmethod
    def read(cls, folder: Path, *, check: bool = True) -> Segment:
        """The segment written in `folder`, mapped. `check=False` for one this process has
        just written from memory: the check reads every posting, which would keep the whole
        mapped index resident through a long ingest."""
        # plain ndarray views of the maps: numpy's memmap subclass costs microseconds a slice
        arrays = {
            n: np.load(folder / f"{n}.npy", mmap_mode="r").view(np.ndarray) for n in _SEGMENT_FILES
        }
        segment = cls(**arrays, name=folder.name)
        if check:
            segment.check()
        return segment

    def check(self) -> None:
        n, t, p = self.ids.size, self.thash.size, self.pdoc.size
        shapes = [self.lens.size, self.when.size, self.mix.size]
        if any(x != n for x in shapes) or self.tptr.size != t + 1 or self.toff.size != t + 1:
            raise ValueError("segment arrays disagree in length")
        if self.ptt.size != p or self.pbt.size != p or int(self.tptr[-1]) != p:
            raise ValueError("segment postings disagree in length")
        if int(self.toff[-1]) != self.tstr.size or (p and int(self.pdoc.max()) >= n):
            raise ValueError("segment offsets out of range")


def build_segment(rows: Sequence[IndexRow], terms: TermTable) -> Segment:
    """Tokenise passages (title and text apart, as FTS5 did) into one segment."""
    return tokenised_segment(
        TokenisedPassages(
            ids=[r.chunk_id for r in rows],
            words=[r.words for r in rows],
            stamps=[r.published_at or r.ingested_at for r in rows],
            mix=[passage_hash(r.chunk_id, r.title, r.text) for r in rows],
            title_tokens=[word_tokens(r.title) for r in rows],
            text_tokens=[word_tokens(r.text) for r in rows],
        ),
        terms,
    )


def tokenised_segment(passages: TokenisedPassages, terms: TermTable) -> Segment:
    """One segment of passages whose words are tokenised already.

    Every token becomes its term's number in `terms` (one look-up); postings are the
    distinct (term, row) pairs, grouped by term hash, rows ascending within a term.
    """
    n = len(passages.ids)
    terms.start_segment()
    number = terms.__getitem__
    title_tokens, text_tokens = passages.title_tokens, passages.text_tokens
    t_counts = np.fromiter(map(len, title_tokens), dtype=np.int64, count=n)
    b_counts = np.fromiter(map(len, text_tokens), dtype=np.int64, count=n)
    t_terms = np.fromiter(map(number, chain.from_iterable(title_tokens)), np.int64)
    b_terms = np.fromiter(map(number, chain.from_iterable(text_tokens)), np.int64)
    docs = np.arange(n, dtype=np.int64)
    # one key per token: (term, row, body?) packed in an integer, sorted; each run of equal
    # (term, row) is a posting, its body tokens counted by the low bit
    keys = np.concatenate(
        [
            (t_terms * n + np.repeat(docs, t_counts)) << 1,
            ((b_terms * n + np.repeat(docs, b_counts)) << 1) | 1,
        ]
    )
    keys.sort()
    pairs = keys >> 1
    first = np.empty(pairs.size, dtype=bool)
    first[:1] = True
    np.not_equal(pairs[1:], pairs[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    unique = pairs[starts]
    bt = np.add.reduceat(keys & 1, starts) if starts.size else starts
    tt = np.diff(np.append(starts, pairs.size)) - bt
    term_of, doc_of = unique // max(n, 1), unique % max(n, 1)
    # the segment's terms (ascending numbers) and where each one's postings start
    new_term = np.empty(term_of.size, dtype=bool)
    new_term[:1] = True
    np.not_equal(term_of[1:], term_of[:-1], out=new_term[1:])
    term_starts = np.flatnonzero(new_term)
    present = term_of[term_starts]
    counts = np.diff(np.append(term_starts, term_of.size))
    hashes = terms.hashes()[present]
    order = np.argsort(hashes, kind="stable")
    if order.size > 1 and not np.all(hashes[order[1:]] != hashes[order[:-1]]):
        # two terms share a 64-bit hash: theirs is the order of first sight in the tokens
        order = np.lexsort((_first_sight(present, t_terms, b_terms), hashes))
    # postings by term hash, rows ascending within a term
    by_term = _gather_ranges(np.arange(term_of.size), term_starts[order], counts[order])
    counts = counts[order]
    encoded = list(map(terms.encoded.__getitem__, present[order].tolist()))
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    return Segment(
        ids=np.asarray(passages.ids, dtype=np.int64),
        lens=np.asarray(passages.words, dtype=np.int32),
        when=np.fromiter(map(_seconds, passages.stamps), dtype=np.int64, count=n),
        mix=np.asarray(passages.mix, dtype=np.uint64),
        thash=hashes[order],
        tptr=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        tstr=np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(),
        toff=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        pdoc=doc_of[by_term].astype(np.int32),
        ptt=np.minimum(tt[by_term], 255).astype(np.uint8),
        pbt=np.minimum(bt[by_term], 65535).astype(np.uint16),
    )


def _first_sight(present: np.ndarray, *tokens: np.ndarray) -> np.ndarray:
    """For each of the terms `present` (ascending), the first position of its number in
    the concatenation of `tokens`."""
    flat = np.concatenate(tokens)
    first = np.full(present.size, flat.size, dtype=np.int64)
    np.minimum.at(first, np.searchsorted(present, flat), np.arange(flat.size))
    return first


def _gather_ranges(source: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """source[starts[0]:starts[0]+lengths[0]] + source[starts[1]:…] + …, vectorised."""
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=source.dtype)
    offsets = np.cumsum(lengths) - lengths
    index = np.repeat(starts - offsets, lengths) + np.arange(total)
    return np.asarray(source)[index]


def merge_segments(segments: Sequence[Segment], live: Sequence[np.ndarray]) -> Segment:
    """One segment holding the live rows of `segments`, in their order.

    Term by term, not posting by posting: each segment's postings are already grouped by
    term hash and in row order, so each is copied to its place in the merged term's run
    (earlier segments first) without sorting them.
    """
    hashes = np.unique(np.concatenate([np.asarray(s.thash) for s in segments]))
    kept: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # per segment
    counts = np.zeros(hashes.size, dtype=np.int64)
    base = 0
    for seg, alive in zip(segments, live, strict=True):
        at = np.searchsorted(hashes, np.asarray(seg.thash))
        per_term = np.diff(np.asarray(seg.tptr))
        if alive.all():
            keep, seg_counts = None, per_term
        else:
            keep = alive[np.asarray(seg.pdoc)]
            owner = np.repeat(np.arange(seg.thash.size), per_term)
            seg_counts = np.bincount(owner[keep], minlength=seg.thash.size)
        renumber = (np.cumsum(alive) - 1 + base).astype(np.int32)
        kept.append((at, seg_counts, renumber))
        counts[at] += seg_counts
        base += int(alive.sum())
    present = counts > 0
    fill = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    total = int(fill[-1])
    pdoc = np.empty(total, dtype=np.int32)
    ptt = np.empty(total, dtype=np.uint8)
    pbt = np.empty(total, dtype=np.uint16)
    source_seg = np.full(hashes.size, -1, dtype=np.int64)
    source_term = np.zeros(hashes.size, dtype=np.int64)
    for number, (seg, alive, (at, seg_counts, renumber)) in enumerate(
        zip(segments, live, kept, strict=True)
    ):
        rows, tt, bt = np.asarray(seg.pdoc), np.asarray(seg.ptt), np.asarray(seg.pbt)
        if not alive.all():
            keep = alive[rows]
            rows, tt, bt = rows[keep], tt[keep], bt[keep]
        starts = np.concatenate([[0], np.cumsum(seg_counts)[:-1]])
        small = np.int32 if total < 2**31 else np.int64  # half the memory of the biggest temporary
        dest = np.repeat((fill[at] - starts).astype(small), seg_counts)
        dest += np.arange(rows.size, dtype=small)
        pdoc[dest], ptt[dest], pbt[dest] = renumber[rows], tt, bt
        fill[at] += seg_counts
        first = (source_seg[at] < 0) & (seg_counts > 0)
        source_seg[at[first]] = number
        source_term[at[first]] = np.flatnonzero(first)
    tstr, toff = _merged_terms(segments, source_seg, source_term, present)
    return Segment(
        ids=np.concatenate([np.asarray(s.ids)[a] for s, a in zip(segments, live, strict=True)]),
        lens=np.concatenate([np.asarray(s.lens)[a] for s, a in zip(segments, live, strict=True)]),
        when=np.concatenate([np.asarray(s.when)[a] for s, a in zip(segments, live, strict=True)]),
        mix=np.concatenate([np.asarray(s.mix)[a] for s, a in zip(segments, live, strict=True)]),
        thash=hashes[present],
        tptr=np.concatenate([[0], np.cumsum(counts[present])]).astype(np.int64),
        tstr=tstr,
        toff=toff,
        pdoc=pdoc,
        ptt=ptt,
        pbt=pbt,
    )


def _merged_terms(
    segments: Sequence[Segment],
    source_seg: np.ndarray,
    source_term: np.ndarray,
    present: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The merged segment's `tstr` and `toff`: each term's bytes taken from the first
    segment with postings of it (`source_seg`, at its term number `source_term`)."""
    lengths = np.zeros(source_seg.size, dtype=np.int64)
    pieces: list[tuple[np.ndarray, np.ndarray]] = []
    for number, seg in enumerate(segments):
        mine = np.flatnonzero(source_seg == number)
        toff = np.asarray(seg.toff)
        lengths[mine] = toff[source_term[mine] + 1] - toff[source_term[mine]]
        pieces.append((mine, toff[source_term[mine]]))
    lengths = lengths[present]
    out_toff = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    position = np.cumsum(present) - 1
    tstr = np.empty(int(out_toff[-1]), dtype=np.uint8)
    for seg, (mine, starts) in zip(segments, pieces, strict=True):
        where = position[mine]
        tstr[_gather_ranges(np.arange(tstr.size), out_toff[where], lengths[where])] = (
            _gather_ranges(np.asarray(seg.tstr), starts, lengths[where])
        )
    return tstr, out_toff


def can_write_merged(segments: Sequence[Segment]) -> bool:
    """Whether `write_merged` applies: no segment holds two terms of one hash (then the
    in-memory `merge_segments` is used)."""
    return all(
        s.thash.size < 2 or bool(np.all(np.asarray(s.thash[1:]) != np.asarray(s.thash[:-1])))
        for s in segments
    )


def write_merged(segments: Sequence[Segment], folder: Path) -> Segment:
    """`merge_segments` of every row of `segments`, written to `folder` and returned mapped.

    The postings are merged and written a run of terms at a time (MERGE_CHUNK postings),
    and the pages of mapped inputs are given back after each run, so memory holds one run
    of the result instead of all of it beside every input (a merge of two 30,000-passage
    segments held ~60 MB more at its peak). Same arrays as `merge_segments`; every term of
    a segment must have postings (as tokenising and `merge_segments` make them) and its
    hashes must be distinct (`can_write_merged`).
    """
    hashes = np.unique(np.concatenate([np.asarray(s.thash) for s in segments]))
    counts = np.zeros(hashes.size, dtype=np.int64)
    where = []  # per segment: its terms' places among `hashes`, and their posting counts
    for seg in segments:
        at = np.searchsorted(hashes, np.asarray(seg.thash))
        per_term = np.diff(np.asarray(seg.tptr))
        where.append((at, per_term))
        counts[at] += per_term
    if not np.all(counts > 0):
        raise ValueError("a merged term without postings")
    tptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    total = int(tptr[-1])
    source_seg = np.full(hashes.size, -1, dtype=np.int64)
    source_term = np.zeros(hashes.size, dtype=np.int64)
    for number, (at, _) in enumerate(where):
        first = source_seg[at] < 0
        source_seg[at[first]] = number
        source_term[at[first]] = np.flatnonzero(first)
    tstr, toff = _merged_terms(segments, source_seg, source_term, counts > 0)
    bases = np.cumsum([0, *(s.size for s in segments)]).tolist()
    merged = Segment(
        ids=np.concatenate([np.asarray(s.ids) for s in segments]),
        lens=np.concatenate([np.asarray(s.lens) for s in segments]),
        when=np.concatenate([np.asarray(s.when) for s in segments]),
        mix=np.concatenate([np.asarray(s.mix) for s in segments]),
        thash=hashes,
        tptr=tptr,
        tstr=tstr,
        toff=toff,
        pdoc=np.empty(0, dtype=np.int32),
        ptt=np.empty(0, dtype=np.uint8),
        pbt=np.empty(0, dtype=np.uint16),
    )
    folder.mkdir(parents=True)
    per_posting = ("pdoc", "ptt", "pbt")
    for name in _SEGMENT_FILES:
        if name not in per_posting:
            _write_array(folder / f"{name}.npy", getattr(merged, name))
    # runs of whole terms of about MERGE_CHUNK postings each
    cuts = np.searchsorted(tptr, np.arange(0, total, MERGE_CHUNK), side="right") - 1
    bounds = sorted({*cuts.tolist(), hashes.size})
    fill = tptr[:-1].copy()  # where each term's next postings go
    outputs = [open(folder / f"{name}.npy", "wb") for name in per_posting]  # noqa: SIM115
    try:
        for output, dtype in zip(outputs, (np.int32, np.uint8, np.uint16), strict=True):
            np.lib.format.write_array_header_1_0(
                output,
                {
                    "descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                    "fortran_order": False,
                    "shape": (total,),
                },
            )
        for low, high in pairwise(bounds):
            start = int(tptr[low])
            size = int(tptr[high]) - start
            pdoc = np.empty(size, dtype=np.int32)
            ptt = np.empty(size, dtype=np.uint8)
            pbt = np.empty(size, dtype=np.uint16)
            for seg, base, (at, per_term) in zip(segments, bases[:-1], where, strict=True):
                first, last = np.searchsorted(at, [low, high]).tolist()
                if first == last:
                    continue
                span = slice(int(seg.tptr[first]), int(seg.tptr[last]))
                terms, seg_counts = at[first:last], per_term[first:last]
                starts = np.cumsum(seg_counts) - seg_counts
                dest = np.repeat((fill[terms] - start - starts).astype(np.int32), seg_counts)
                dest += np.arange(dest.size, dtype=np.int32)
                pdoc[dest] = np.asarray(seg.pdoc[span]) + np.int32(base)
                ptt[dest], pbt[dest] = seg.ptt[span], seg.pbt[span]
                fill[terms] += seg_counts
            parts: tuple[np.ndarray, ...] = (pdoc, ptt, pbt)
            for output, part in zip(outputs, parts, strict=True):
                part.tofile(output)
            del pdoc, ptt, pbt, parts
            for seg in segments:
                _drop_pages(seg)
        for output in outputs:
            output.flush()
            os.fsync(output.fileno())
    finally:
        for output in outputs:
            output.close()
    return Segment.read(folder, check=False)


def _write_array(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as handle:
        np.save(handle, array)
        handle.flush()
        os.fsync(handle.fileno())


def _drop_pages(segment: Segment) -> None:
    """Give back the resident pages of a mapped segment's postings (they are read again
    from the file if touched); nothing for a segment in memory."""
    advise = getattr(mmap, "MADV_DONTNEED", None)
    if advise is None:
        return
    for name in ("pdoc", "ptt", "pbt"):
        base = getattr(segment, name).base
        while base is not None and not isinstance(base, mmap.mmap):
            base = getattr(base, "base", None)
        if isinstance(base, mmap.mmap):
            with contextlib.suppress(OSError, ValueError):
                base.madvise(advise)


def _segment_name() -> str:
    return f"seg-{uuid.uuid4().hex[:12]}"


def _fingerprint(mix: np.ndarray) -> int:
    """Sum of uint64 hashes modulo MODULUS, without overflow."""
    values = np.asarray(mix, dtype=np.uint64)
    high = int(np.sum(values >> np.uint64(32), dtype=np.uint64))
    low = int(np.sum(values & np.uint64(0xFFFFFFFF), dtype=np.uint64))
    return ((high << 32) + low) % MODULUS


@dataclass
class Postings:
    """A term's postings across segments: global row numbers and title/text counts."""

    rows: np.ndarray
    title_tf: np.ndarray
    text_tf: np.ndarray


class IndexView:
    """One consistent state of the index: a query uses one view from start to end, so a
    sync in another thread (which builds a new view) never mixes row numberings.

    Rows are numbered across segments in order; `ids`, `lengths` and `when` are per row,
    and a row whose passage was deleted after its segment was written is not `live`.
    """

    def __init__(self, segments: list[Segment], live: list[np.ndarray]) -> None:
        self.segments = segments
        self.alive = live
        self.dead = [not a.all() for a in live]
        self.ids = np.concatenate([s.ids for s in segments]) if segments else np.empty(0, np.int64)
        lens = np.concatenate([s.lens for s in segments]) if segments else np.empty(0, np.int32)
        self.lengths = lens.astype(np.float64)
        self.when = (
            np.concatenate([s.when for s in segments]) if segments else np.empty(0, np.int64)
        )
        self.live = np.concatenate(live) if segments else np.empty(0, bool)
        mix = np.concatenate([s.mix for s in segments]) if segments else np.empty(0, np.uint64)
        self.documents = int(self.live.sum())
        self.words = int(self.lengths[self.live].sum())
        self.fingerprint = _fingerprint(mix[self.live])
        self.max_id = int(self.ids.max()) if self.ids.size else 0
        self.version = uuid.uuid4().int  # caches keyed on the index's contents

    def average_length(self) -> float:
        return self.words / self.documents if self.documents else 1.0

    def within(
        self, rows: np.ndarray, since: datetime | None, until: datetime | None
    ) -> np.ndarray:
        """Which of `rows` have their time (published, else ingested) inside the window, ends
        included, compared in whole seconds as `when` is stored."""
        when = self.when[rows]
        keep = np.ones(when.size, dtype=bool)
        if since is not None:
            keep &= when >= math.floor(since.timestamp())
        if until is not None:
            keep &= when <= math.floor(until.timestamp())
        return keep

    def postings(self, term: str) -> Postings | None:
        """Where `term` (a stem) occurs, live rows only, ascending; None if nowhere."""
        hashed = term_hash(term)
        parts = []
        base = 0
        for seg, alive, dead in zip(self.segments, self.alive, self.dead, strict=True):
            found = seg.postings(term, hashed)
            if found is not None:
                rows = seg.pdoc[found] + base
                tt, bt = np.asarray(seg.ptt[found]), np.asarray(seg.pbt[found])
                if dead:
                    keep = alive[rows - base]
                    rows, tt, bt = rows[keep], tt[keep], bt[keep]
                parts.append((rows, tt, bt))
            base += seg.size
        if not parts:
            return None
        if len(parts) == 1:
            rows, tt, bt = parts[0]
        else:
            rows, tt, bt = (np.concatenate([p[i] for p in parts]) for i in range(3))
        return Postings(rows.astype(np.int64), tt, bt) if rows.size else None

    def postings_of(self, terms: Sequence[str]) -> tuple[Postings, list[int]]:
        """The postings of all of `terms` in one run, term after term (`postings` of the
        j-th is the slice offsets[j]:offsets[j + 1], empty where it occurs nowhere): one
        search of each segment's term hashes for all the terms, one copy of the postings."""
        hashes = np.fromiter(map(term_hash, terms), dtype=np.uint64, count=len(terms))
        pieces: list[list[tuple[int, int, int, int]]] = [[] for _ in terms]
        base = 0
        for number, seg in enumerate(self.segments):
            count = seg.thash.size
            if count and hashes.size:
                at = np.minimum(np.searchsorted(seg.thash, hashes), count - 1)
                hit = np.flatnonzero(seg.thash[at] == hashes)
                at = at[hit]
                spans = zip(
                    hit.tolist(),
                    seg.toff[at].tolist(),
                    seg.toff[at + 1].tolist(),
                    seg.tptr[at].tolist(),
                    seg.tptr[at + 1].tolist(),
                    strict=True,
                )
                tstr = seg.tstr
                for j, t0, t1, start, stop in spans:
                    if tstr[t0:t1].tobytes() != terms[j].encode("utf-8"):
                        # a hash shared with another term: the slow path sorts it out
                        found = seg.postings(terms[j], int(hashes[j]))
                        if found is None:
                            continue
                        start, stop = found.start, found.stop
                    if stop > start:
                        pieces[j].append((number, base, start, stop))
            base += seg.size
        runs = [piece for term in pieces for piece in term]
        offsets = [0]
        for term in pieces:
            offsets.append(offsets[-1] + sum(stop - start for _, _, start, stop in term))
        if not runs:
            empty = Postings(np.empty(0, np.int64), np.empty(0, np.uint8), np.empty(0, np.uint16))
            return empty, offsets
        segs = self.segments
        rows = np.concatenate([segs[n].pdoc[a:b] for n, _, a, b in runs])  # int32: no cast per run
        if any(base for _, base, _, _ in runs):  # row numbers across segments fit in int32
            lengths = [b - a for _, _, a, b in runs]
            rows += np.repeat(np.array([base for _, base, _, _ in runs], dtype=rows.dtype), lengths)
        rows = rows.astype(np.int64)
        tt = np.concatenate([segs[n].ptt[a:b] for n, _, a, b in runs])
        bt = np.concatenate([segs[n].pbt[a:b] for n, _, a, b in runs])
        if any(self.dead[n] for n, *_ in runs):
            keep = self.live[rows]
            rows, tt, bt = rows[keep], tt[keep], bt[keep]
            kept = np.concatenate([[0], np.cumsum(keep)])
            offsets = [int(kept[o]) for o in offsets]
        return Postings(rows, tt, bt), offsets

    def doc_freqs(self, terms: list[str]) -> dict[str, int]:
        """Live passages holding each term (terms found nowhere left out)."""
        found = {}
        for t in terms:
            hashed, df = term_hash(t), 0
            for seg, alive, dead in zip(self.segments, self.alive, self.dead, strict=True):
                at = seg.postings(t, hashed)
                if at is not None:
                    df += int(alive[seg.pdoc[at]].sum()) if dead else at.stop - at.start
            if df:
                found[t] = df
        return found


class PostingsIndex:
    """The postings of every passage in the store, kept in step with it (see module doc);
    `view` is its current state, replaced (never changed) by a sync."""

    def __init__(self, store: SearchIndex, folder: Path | None) -> None:
        self.store = store
        self.folder = folder
        self._terms = TermTable()
        self._lock = threading.RLock()
        self._segments: list[Segment] = []
        self._live: list[np.ndarray] = []
        self._manifest_stamp: tuple[int, int] | None = None
        self._store_id = ""
        self._reset_views()
        self._load()

    # ---- following the store ----------------------------------------------------------

    def sync(self) -> bool:
        """Bring the index level with the store; True if anything changed.

        Rows caught up stay in memory until PERSIST_ROWS of them are unwritten or `flush`
        is called (ingest calls it at its end): the store is the truth, so what a crash
        loses from memory is read again at the next start.
        """
        state = self.store.index_state()
        if self._matches(state):
            return False
        with self._lock:
            if self._manifest_changed():
                self._load()  # another process wrote a newer index
                state = self.store.index_state()
            if not self._matches(state):
                self._catch_up(state)
            if self._unwritten() >= PERSIST_ROWS:
                self.flush()
        return True

    def add_committed(self, passages: TokenisedPassages) -> None:
        """Passages this process has just committed, tokenised as they were written: taken
        as they are when the index then holds exactly the store's passages (checked by the
        fingerprint, as `sync` does), else the index catches up by reading the store (another
        process wrote meanwhile). Saves reading and tokenising the passages again.

        Their token lists are emptied once the segment is built: a batch's tokens take
        more memory than its segment, and merges may follow."""
        if not passages.ids:
            self.sync()
            return
        mix = np.asarray(passages.mix, dtype=np.uint64)

        def built() -> Segment:
            segment = tokenised_segment(passages, self._terms)
            passages.title_tokens, passages.text_tokens = [], []
            return segment

        self._add_built(passages.ids[0], passages.ids[-1], mix, built)

    def add_segment(self, segment: Segment) -> None:
        """`add_committed` for passages whose segment is built already (ids ascending)."""
        if not segment.size:
            self.sync()
            return
        ids = segment.ids
        self._add_built(int(ids[0]), int(ids[-1]), segment.mix, lambda: segment)

    def _add_built(
        self, first: int, last: int, mix: np.ndarray, segment: Callable[[], Segment]
    ) -> None:
        with self._lock:
            state = self.store.index_state()
            if self._matches(state):
                return  # a search in another thread caught up already
            if self._manifest_changed():
                self._load()  # another process wrote a newer index
            elif state.store_id != self._store_id and not self.view.documents:
                self._clear(state.store_id)  # a new index: it starts with these passages
            view = self.view
            fits = (
                state.store_id == self._store_id
                and first > view.max_id
                and state.max_id == last
                and state.chunks == view.documents + mix.size
                and state.id_hash == (view.fingerprint + _fingerprint(mix)) % MODULUS
            )
            if not fits:
                self.sync()
                return
            self._segments.append(segment())
            self._live.append(np.ones(mix.size, dtype=bool))
            self._merge_small()
            self._reset_views()
            if self._unwritten() >= PERSIST_ROWS:
                self.flush()

    def flush(self) -> None:
        """Write what is only in memory, if this process can take the write lock."""
        with self._lock, self._writer() as writing:
            if writing and self._unwritten():
                self._persist()

    def _unwritten(self) -> int:
        return sum(s.size for s in self._segments if s.name is None)

    def _matches(self, state: IndexState) -> bool:
        view = self.view
        return (
            state.store_id == self._store_id
            and state.chunks == view.documents
            and state.id_hash == view.fingerprint
            and state.max_id <= view.max_id
        )

    def _catch_up(self, state: IndexState) -> bool:
        if state.store_id != self._store_id:
            self._clear(state.store_id)
        added = self._read_after(self.view.max_id)
        state = self.store.index_state()
        if self._matches(state):
            return added
        self._reconcile()
        state = self.store.index_state()
        if self._matches(state):
            return True
        self._clear(state.store_id)  # ids reused with other text: start over
        self._read_after(0)
        return True

    def _read_after(self, after: int) -> bool:
        added = False
        while True:
            rows = self.store.index_rows(after, READ_BATCH)
            if not rows:
                return added
            self._add(rows)
            after, added = rows[-1].chunk_id, True

    def _reconcile(self) -> None:
        """Compare id lists: drop passages the store no longer has, add the ones missed."""
        stored = np.asarray(self.store.chunk_ids(), dtype=np.int64)
        view = self.view
        held = view.ids[view.live]
        gone = np.setdiff1d(held, stored, assume_unique=True)
        if gone.size:
            dead = np.isin(view.ids, gone)
            base = 0
            for alive in self._live:
                alive &= ~dead[base : base + alive.size]
                base += alive.size
            self._reset_views()
        missing = np.setdiff1d(stored, held, assume_unique=True).tolist()
        for start in range(0, len(missing), 5000):
            rows = self.store.index_rows_for(missing[start : start + 5000])
            if rows:
                self._add(rows)

    def _add(self, rows: Sequence[IndexRow]) -> None:
        self._segments.append(build_segment(rows, self._terms))
        self._live.append(np.ones(len(rows), dtype=bool))
        self._merge_small()
        self._reset_views()

    def _merge_small(self) -> None:
        """Merge the newest segments while the newest is at least half the one before it
        (sizes fall geometrically: each row is merged O(log n) times) and the merged one
        stays within MERGE_ROWS; past MAX_SEGMENTS, the smallest neighbours merge anyway.

        A run of such merges (2 + 2, then + 4, + 8, …) is done as one merge of all of them,
        which gives the same segment without the ones in between."""
        segs, live = self._segments, self._live
        while len(segs) >= 2:
            count, merged = 1, segs[-1].size
            while count < len(segs):
                before = segs[-count - 1].size
                if merged * 2 >= before and merged + before <= MERGE_ROWS:
                    merged = int(sum(int(a.sum()) for a in live[-count - 1 :]))
                    count += 1
                else:
                    break
            if count >= 2:
                at = len(segs) - count
            elif len(segs) > MAX_SEGMENTS:
                sizes = [a.size + b.size for a, b in pairwise(segs)]
                at, count = sizes.index(min(sizes)), 2
            else:
                return
            self._merge(at, count)

    def _merge(self, at: int, count: int) -> None:
        """Replace segments at..at+count-1 by their merge: when it is large enough to be
        written at once, straight to disk (`write_merged`) and the manifest with it (so no
        other writer takes its folder for an orphan), else in memory."""
        segments, live = self._segments[at : at + count], self._live[at : at + count]
        rows = sum(int(a.sum()) for a in live)
        if (
            self.folder is not None
            and rows >= PERSIST_ROWS
            and all(a.all() for a in live)
            and can_write_merged(segments)
        ):
            with self._writer() as writing:
                if writing:
                    try:
                        merged = write_merged(segments, self.folder / _segment_name())
                    except OSError:
                        pass  # merged in memory below; the store stays the truth
                    else:
                        self._segments[at : at + count] = [merged]
                        self._live[at : at + count] = [np.ones(merged.size, dtype=bool)]
                        self._persist()
                        return
        merged = merge_segments(segments, live)
        self._segments[at : at + count] = [merged]
        self._live[at : at + count] = [np.ones(merged.size, dtype=bool)]

    def _clear(self, store_id: str) -> None:
        self._segments, self._live, self._store_id = [], [], store_id
        self._reset_views()

    def _reset_views(self) -> None:
        self.view = IndexView(list(self._segments), [a.copy() for a in self._live])

    # ---- on disk ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _writer(self) -> Iterator[bool]:
        """True while this process holds the index's write lock (never waits for it)."""
        if self.folder is None:
            yield False
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle = open(self.folder / "lock", "a+")  # noqa: SIM115
        except OSError:
            yield False
            return
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _manifest_path(self) -> Path | None:
        return self.folder / "manifest.json" if self.folder is not None else None

    def _manifest_changed(self) -> bool:
        path = self._manifest_path()
        return path is not None and self._stamp(path) != self._manifest_stamp

    @staticmethod
    def _stamp(path: Path) -> tuple[int, int] | None:
        try:
            st = path.stat()
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns

    def _load(self) -> None:
        """The segments the manifest names, or nothing (rebuilt by the next sync) when the
        manifest is missing, of another format, or names a segment that fails its checks.
        A manifest replaced while it was read (a writer merged segments) is read again."""
        path = self._manifest_path()
        for _ in range(3):
            self._manifest_stamp = self._read_manifest()
            if path is None or self._manifest_stamp == self._stamp(path):
                return

    def _read_manifest(self) -> tuple[int, int] | None:
        self._clear("")
        path = self._manifest_path()
        if path is None:
            return None
        stamp = self._stamp(path)
        try:
            manifest = json.loads(path.read_text())
            if manifest.get("format") != FORMAT:
                return stamp
            segments = [Segment.read(path.parent / name) for name in manifest["segments"]]
            live = [np.ones(s.size, dtype=bool) for s in segments]
            deleted = np.asarray(manifest.get("deleted", []), dtype=np.int64)
            if deleted.size:
                for seg, alive in zip(segments, live, strict=True):
                    alive &= ~np.isin(np.asarray(seg.ids), deleted)
        except (OSError, ValueError, KeyError, TypeError):
            return stamp
        self._segments, self._live = segments, live
        self._store_id = str(manifest.get("store_id", ""))
        self._reset_views()
        return stamp

    def _persist(self) -> None:
        """Write unwritten segments, then the manifest (atomically), then drop old folders."""
        path = self._manifest_path()
        if path is None:
            return
        folder = path.parent
        try:
            for i, seg in enumerate(self._segments):
                if seg.name is None:  # written, then mapped: its memory goes back to the OS
                    name = _segment_name()
                    seg.write(folder / name)
                    self._segments[i] = Segment.read(folder / name, check=False)
            self._reset_views()
            deleted = self.view.ids[~self.view.live].tolist()
            manifest = {
                "format": FORMAT,
                "store_id": self._store_id,
                "segments": [s.name for s in self._segments],
                "deleted": deleted,
            }
            tmp = folder / f"manifest.{os.getpid()}.tmp"
            tmp.write_text(json.dumps(manifest))
            os.replace(tmp, path)
            self._manifest_stamp = self._stamp(path)
            keep = {s.name for s in self._segments}
            for child in folder.iterdir():
                if child.is_dir() and child.name not in keep:
                    shutil.rmtree(child, ignore_errors=True)
        except OSError:
            return  # the store stays the truth: the next writer tries again
