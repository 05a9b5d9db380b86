"""Bounded memory for every input: decompressed-size caps per file and per record, streamed
JSON Lines, and near-duplicate hashing that costs no more for a huge record than a long one.

Files are generated small (a gzip of repeated bytes expands a thousandfold) and the caps are
set low, so these stay fast.
"""

from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path

import numpy as np
from corpus_helpers import prose

from bot.config import Settings
from bot.engine import Engine
from bot.ingest.readers import ReadLimits, Record, read_path
from bot.models import Rejection
from bot.text.minhash import MAX_WORDS, basis_words, batch_band_keys, batch_shingles

LIMITS = ReadLimits(max_file_bytes=200_000, max_record_bytes=20_000)


def _article(n: int) -> dict[str, str]:
    return {"title": f"Story {n} about the harbour", "text": prose(n), "url": f"https://e.x/{n}"}


def _line(item: object) -> bytes:
    return json.dumps(item).encode() + b"\n"


def _huge_line(size: int) -> bytes:
    return _line({"title": "Huge", "text": "flood " * (size // 6)})


def _capped_engine(tmp_path: Path, **caps: int) -> Engine:
    values = {"ingest_max_file_bytes": 200_000, "ingest_max_record_bytes": 20_000, **caps}
    return Engine(Settings(data_dir=tmp_path / "d", auto_seed=False, **values))


def _split(items: list[Record | Rejection]) -> tuple[list[Record], list[Rejection]]:
    return (
        [i for i in items if isinstance(i, Record)],
        [i for i in items if isinstance(i, Rejection)],
    )


def test_a_gzipped_line_expanding_past_the_record_cap_is_rejected_and_reading_goes_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bomb.jsonl.gz"
    path.write_bytes(gzip.compress(_line(_article(1)) + _huge_line(150_000) + _line(_article(2))))
    assert path.stat().st_size < 5_000
    records, rejected = _split(list(read_path(path, LIMITS)))
    assert [r.origin for r in records] == [f"{path}:1", f"{path}:3"]
    [reason] = [r.reason for r in rejected]
    assert reason == "line 2 is larger than 20,000 bytes (BRIEFBOT_INGEST_MAX_RECORD_BYTES)"
    assert rejected[0].origin == f"{path}:2"


def test_a_stream_past_the_file_cap_stops_there_keeping_what_came_before(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl.gz"
    lines = b"".join(_line(_article(n % 7)) for n in range(400))  # ~ 400 x 1.5 kB
    path.write_bytes(gzip.compress(lines))
    records, rejected = _split(list(read_path(path, LIMITS)))
    assert 50 < len(records) < 400
    [stop] = rejected
    assert stop.origin == str(path)
    assert stop.reason.startswith(f"stopped at line {len(records) + 1}: the file is larger than")
    assert "BRIEFBOT_INGEST_MAX_FILE_BYTES" in stop.reason


def test_files_read_whole_are_read_only_up_to_their_cap(tmp_path: Path) -> None:
    big_json = tmp_path / "dump.json.gz"
    big_json.write_bytes(gzip.compress(json.dumps([_article(1)] * 300).encode()))
    big_text = tmp_path / "note.txt"
    big_text.write_text("Title\n\n" + "word " * 10_000)
    big_html = tmp_path / "page.html"
    big_html.write_text("<p>" + "x " * 20_000 + "</p>")
    [rejection] = list(read_path(big_json, LIMITS))
    assert isinstance(rejection, Rejection)
    assert rejection.reason == (
        "larger than 200,000 bytes after decompression (BRIEFBOT_INGEST_MAX_FILE_BYTES)"
    )
    for path in (big_text, big_html):
        [rejection] = list(read_path(path, LIMITS))
        assert isinstance(rejection, Rejection)
        assert rejection.reason == (
            "the file is larger than 20,000 bytes (BRIEFBOT_INGEST_MAX_RECORD_BYTES)"
        )


def test_reading_a_bomb_holds_no_more_than_the_caps(tmp_path: Path) -> None:
    path = tmp_path / "bomb.jsonl.gz"
    path.write_bytes(gzip.compress(_huge_line(30_000_000) + _line(_article(3))))
    tracemalloc.start()
    try:
        items = list(read_path(path, ReadLimits(max_file_bytes=10**9, max_record_bytes=100_000)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [type(i).__name__ for i in items] == ["Rejection", "Record"]
    assert peak < 2_000_000, peak  # a 30 MB line, never held


def test_ingest_rejects_oversized_records_and_files_and_adds_the_rest(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_bytes(_line(_article(4)) + _huge_line(50_000) + _line(_article(5)))
    items = tmp_path / "items.json"  # under the file cap, one item over the record cap
    items.write_text(json.dumps([_article(6), {"title": "Big", "text": "tide " * 5_000}]))
    bomb = tmp_path / "bomb.json.gz"
    bomb.write_bytes(gzip.compress(b"[" + b" " * 5_000_000 + b"]"))
    engine = _capped_engine(tmp_path)
    try:
        report = engine.ingest([bomb, good, items])
    finally:
        engine.close()
    assert report.added == 3
    reasons = sorted(r.reason for r in report.rejected)
    assert reasons == [
        "larger than 200,000 bytes after decompression (BRIEFBOT_INGEST_MAX_FILE_BYTES)",
        "line 2 is larger than 20,000 bytes (BRIEFBOT_INGEST_MAX_RECORD_BYTES)",
        "record is larger than 20,000 characters (BRIEFBOT_INGEST_MAX_RECORD_BYTES)",
    ]


def test_near_duplicate_fingerprints_cost_the_same_for_a_huge_record() -> None:
    huge = " ".join(f"w{i % 9973} x{i % 7919}" for i in range(200_000))
    words = basis_words("Title", huge)
    assert len(words) == MAX_WORDS
    grams = batch_shingles([words, words[:1000]])
    tracemalloc.start()
    try:
        keys = batch_band_keys(grams)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert keys.shape == (2, 10)
    # one 50 x 16k block of uint64 at a time (6.5 MB), never 50 x words
    assert peak < 30_000_000, peak
    assert not np.array_equal(keys[0], keys[1])
