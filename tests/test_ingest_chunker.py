"""Passages: whole sentences, about 150–250 tiktoken tokens, offsets exact."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

from corpus_helpers import REPO, prose, write_jsonl

from bot.engine import Engine
from bot.ingest.chunker import chunk_text
from bot.text.sentences import sentence_spans
from bot.text.tokens import count_tokens


def _sentence_ends(text: str) -> set[int]:
    return {end for _, end in sentence_spans(text)}


def _sentence_starts(text: str) -> set[int]:
    return {start for start, _ in sentence_spans(text)}


def test_long_article_chunks_are_sentence_aligned_and_sized() -> None:
    text = prose(7, 120)
    chunks = chunk_text(text)
    assert len(chunks) >= 8
    starts, ends = _sentence_starts(text), _sentence_ends(text)
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.start in starts and chunk.end in ends
        assert chunk.text.endswith(".")
        real = count_tokens(chunk.text)
        assert abs(real - chunk.tokens) <= 0.05 * real + 3
        assert real <= 260
    for chunk in chunks[:-1]:
        assert count_tokens(chunk.text) >= 150
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


def test_chunks_cover_the_whole_text_in_order_without_overlap() -> None:
    text = prose(8, 60)
    chunks = chunk_text(text)
    for prev, nxt in pairwise(chunks):
        assert prev.end <= nxt.start
        assert text[prev.end : nxt.start].strip() == ""
    assert text[: chunks[0].start].strip() == ""
    assert text[chunks[-1].end :].strip() == ""


def test_short_article_is_one_chunk_and_no_stub_at_the_end() -> None:
    assert len(chunk_text("One sentence only.")) == 1
    text = prose(9, 11)  # a little over one passage
    chunks = chunk_text(text)
    assert all(count_tokens(c.text) >= 40 for c in chunks), "no tiny trailing stub"


def test_one_huge_sentence_stands_alone() -> None:
    huge = "Word " + " ".join(["word"] * 600) + "."
    text = f"Short opening sentence. {huge} Short closing sentence."
    chunks = chunk_text(text)
    assert any(c.text == huge for c in chunks)
    for c in chunks:
        assert text[c.start : c.end] == c.text


def test_abbreviations_do_not_split_sentences() -> None:
    text = "Gen. Smith met Dr. Jones in the U.S. capital on Monday. They talked for an hour."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "Gen. Smith met Dr. Jones in the U.S. capital on Monday.",
        "They talked for an hour.",
    ]


def test_stored_offsets_map_back_into_the_stored_article(engine: Engine, tmp_path: Path) -> None:
    texts = [prose(20 + i, 40 + 10 * i) for i in range(3)]
    seed = next((REPO / "seeds").glob("*.txt"))
    items = [
        {"title": f"Long {i}", "text": "\n\n  " + t + "\n"} for i, t in enumerate(texts)
    ]  # surrounding whitespace is stripped before offsets are computed
    engine.ingest([write_jsonl(tmp_path / "long.jsonl", items), seed])
    rows = engine.store.db.query(
        "SELECT a.text, c.start, c.end, c.text, c.tokens FROM chunks c"
        " JOIN articles a ON a.id = c.article_id"
    )
    assert len(rows) > 10
    for article_text, start, end, chunk, tokens in rows:
        assert article_text[start:end] == chunk
        assert tokens > 0
    assert engine.stats().chunks == len(rows)


def test_seed_article_is_chunked_into_a_few_passages(seeded_engine: Engine) -> None:
    rows = seeded_engine.store.db.query("SELECT tokens FROM chunks ORDER BY ordinal")
    assert 2 <= len(rows) <= 5
    assert all(r[0] <= 250 for r in rows)


def test_short_text_is_one_passage_whose_tokens_bound_its_real_count() -> None:
    # within the budget by its UTF-8 length: no encode, the length is the bound
    for text in ["Quake hits Morocco; 2,000 dead.", "Café São Paulo: 3 € rise ✓", "x" * 200]:
        (chunk,) = chunk_text(f"  {text}\n")
        assert (chunk.text, chunk.start, chunk.tokens) == (text, 2, len(text.encode()))
        assert count_tokens(text) <= chunk.tokens
    # over the budget in bytes but not in tokens: counted exactly, still one passage
    text = "The council met on Tuesday. " * 12
    (chunk,) = chunk_text(text)
    assert len(text.encode()) > 200 and chunk.tokens == count_tokens(text.strip())
    # the same passages as an exact count gives: a text over the budget in tokens is split
    long = "Officials said the storm had passed. " * 40
    assert [c.tokens for c in chunk_text(long)] == [count_tokens(c.text) for c in chunk_text(long)]
    assert len(chunk_text(long)) > 1
