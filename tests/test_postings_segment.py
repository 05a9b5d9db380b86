"""A segment built through the term table equals the plain per-token construction."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.store import postings
from bot.store.postings import (
    _SEGMENT_FILES,
    Segment,
    TermTable,
    merge_segments,
    tokenised_segment,
    write_merged,
)
from bot.store.records import TokenisedPassages
from bot.text.words import fresh_stem

# case variants, stems shared by several words, short and non-ASCII words
VOCABULARY = [
    *"Run runs running RUNNER ran is IS a I of Of".split(),
    *"café Cafe naïve Zürich zurich 2023 Gaza's gaza ÉLAN élan".split(),
    *"connect connected connection connections market markets marketing".split(),
]

passage = st.tuples(
    st.lists(st.sampled_from(VOCABULARY), max_size=6),
    st.lists(st.sampled_from(VOCABULARY), max_size=40),
)


def reference_segment(passages: TokenisedPassages, hash_of: Callable[[str], int]) -> Segment:
    """Postings counted one token at a time: terms numbered by first sight (titles, then
    texts), ordered by hash (ties by that number), rows ascending within a term."""
    n = len(passages.ids)
    counts: dict[tuple[int, int], list[int]] = {}
    numbers: dict[str, int] = {}
    for part, lists in enumerate((passages.title_tokens, passages.text_tokens)):
        for row, tokens in enumerate(lists):
            for token in tokens:
                term = numbers.setdefault(fresh_stem(token), len(numbers))
                counts.setdefault((term, row), [0, 0])[part] += 1
    terms = list(numbers)
    order = sorted(range(len(terms)), key=lambda t: (hash_of(terms[t]), t))
    pdoc, ptt, pbt, tptr = [], [], [], [0]
    for t in order:
        rows = sorted(row for term, row in counts if term == t)
        pdoc += rows
        ptt += [min(counts[t, r][0], 255) for r in rows]
        pbt += [min(counts[t, r][1], 65535) for r in rows]
        tptr.append(len(pdoc))
    encoded = [terms[t].encode() for t in order]
    return Segment(
        ids=np.asarray(passages.ids, dtype=np.int64),
        lens=np.asarray(passages.words, dtype=np.int32),
        when=np.zeros(n, dtype=np.int64),
        mix=np.asarray(passages.mix, dtype=np.uint64),
        thash=np.asarray([hash_of(terms[t]) for t in order], dtype=np.uint64),
        tptr=np.asarray(tptr, dtype=np.int64),
        tstr=np.frombuffer(b"".join(encoded), dtype=np.uint8),
        toff=np.cumsum([0, *map(len, encoded)], dtype=np.int64),
        pdoc=np.asarray(pdoc, dtype=np.int32),
        ptt=np.asarray(ptt, dtype=np.uint8),
        pbt=np.asarray(pbt, dtype=np.uint16),
    )


def tokenised(rows: list[tuple[list[str], list[str]]]) -> TokenisedPassages:
    return TokenisedPassages(
        ids=list(range(1, len(rows) + 1)),
        words=[len(t) + len(b) for t, b in rows],
        stamps=[""] * len(rows),
        mix=[7 * i for i in range(len(rows))],
        title_tokens=[t for t, _ in rows],
        text_tokens=[b for _, b in rows],
    )


def assert_same(built: Segment, expected: Segment) -> None:
    for name in _SEGMENT_FILES:
        got, want = getattr(built, name), getattr(expected, name)
        assert got.dtype == want.dtype, name
        assert got.tobytes() == want.tobytes(), name


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(passage, max_size=12), min_size=1, max_size=4))
def test_segments_equal_the_per_token_construction(batches) -> None:
    terms = TermTable()  # one table across segments, as an ingest keeps it
    for rows in batches:
        passages = tokenised(rows)
        assert_same(
            tokenised_segment(passages, terms), reference_segment(passages, postings.term_hash)
        )


def test_a_full_table_is_emptied_between_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postings, "WORD_CACHE", 5)
    terms = TermTable()
    for start in range(0, len(VOCABULARY), 7):
        rows = [(VOCABULARY[start : start + 2], VOCABULARY[start : start + 7] * 2)]
        passages = tokenised(rows)
        assert_same(
            tokenised_segment(passages, terms), reference_segment(passages, postings.term_hash)
        )
        assert len(terms) <= 5 + 9  # emptied at the start of a segment once full


def test_terms_sharing_a_hash_keep_the_order_of_first_sight(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def weak(term: str) -> int:
        return len(term) % 3

    monkeypatch.setattr(postings, "term_hash", weak)
    rows = [(["Markets", "ran"], ["running", "café", "connections", "a", "Zürich", "is"])] * 3
    rows.append(([], ["I", "gaza", "connect", "2023", "runs"]))
    passages = tokenised(rows)
    assert_same(tokenised_segment(passages, TermTable()), reference_segment(passages, weak))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(passage, min_size=1, max_size=12), min_size=2, max_size=5))
def test_a_merge_written_to_disk_equals_the_merge_in_memory(batches) -> None:
    terms = TermTable()
    segments = [tokenised_segment(tokenised(rows), terms) for rows in batches]
    live = [np.ones(s.size, dtype=bool) for s in segments]
    chunk = postings.MERGE_CHUNK
    postings.MERGE_CHUNK = 5  # several runs of terms, some cut by a segment's term
    try:
        with tempfile.TemporaryDirectory() as folder:
            # inputs mapped from disk, as an index merges them
            mapped = []
            for number, segment in enumerate(segments):
                segment.write(Path(folder) / f"in-{number}")
                mapped.append(Segment.read(Path(folder) / f"in-{number}"))
            written = write_merged(mapped, Path(folder) / "out")
            assert_same(written, merge_segments(segments, live))
            assert_same(Segment.read(Path(folder) / "out"), merge_segments(segments, live))
    finally:
        postings.MERGE_CHUNK = chunk
