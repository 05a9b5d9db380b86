"""Near-duplicates are found per ingest batch: copies inside one batch and across batches
collapse alike, band keys match the one-text MinHash (so stored keys stay valid), and an
article that fails mid-batch leaves neither index rows nor band rows behind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from corpus_helpers import assert_consistent, prose

from bot.config import Settings
from bot.engine import Engine
from bot.ingest.chunker import chunk_text
from bot.models import ArticleIn, Chunk
from bot.text.minhash import (
    band_keys,
    basis_words,
    batch_band_keys,
    batch_shingles,
    shingles,
    signature,
)
from bot.text.normalize import normalized_text
from tests.support.content import long_text, syndicated


def _copies() -> list[ArticleIn]:
    texts = list(syndicated().values())
    stories = [
        ArticleIn(title=f"Rates copy {i}", text=text, url=f"https://o{i}.example.com/rates")
        for i, text in enumerate(texts)
    ]
    other = ArticleIn(title="Museum wing", text=long_text("museum wing"), url="https://m.example")
    return [stories[0], other, *stories[1:]]


def _outcome(settings: Settings, batch: int) -> tuple[int, int, list[tuple[str, str]], int]:
    engine = Engine(settings.updated(auto_seed=False, ingest_batch=batch))
    try:
        report = engine.ingestor.ingest_articles(_copies())
        pairs = engine.store.db.query(
            "SELECT a.title, x.title FROM article_alternates x"
            " JOIN articles a ON a.id = x.canonical_id ORDER BY x.id"
        )
        bands = engine.store.db.query("SELECT count(*) FROM near_dup_prints")[0][0]
        assert_consistent(engine.settings.database)
        return report.added, report.near_duplicates, [tuple(p) for p in pairs], bands
    finally:
        engine.close()


def test_copies_collapse_alike_within_one_batch_and_across_batches(tmp_path: Path) -> None:
    one_batch = _outcome(Settings(data_dir=tmp_path / "one"), batch=500)
    per_article = _outcome(Settings(data_dir=tmp_path / "each"), batch=1)
    assert one_batch == per_article
    added, near, pairs, banded = one_batch
    assert (added, near) == (2, len(syndicated()) - 1)
    assert {canonical for canonical, _ in pairs} == {"Rates copy 0"}
    assert banded == 2  # band rows of the two stored articles only


def test_a_later_ingest_matches_the_stored_bands(settings: Settings) -> None:
    engine = Engine(settings.updated(auto_seed=False))
    first, *rest = _copies()
    assert engine.ingestor.ingest_articles([first]).added == 1
    report = engine.ingestor.ingest_articles(rest)
    assert (report.added, report.near_duplicates) == (1, len(syndicated()) - 1)
    engine.close()


def test_batch_minhash_gives_the_one_text_band_keys() -> None:
    texts = [prose(i, 40) for i in range(30)] + [long_text("harbour strike") * 40]
    words = [basis_words(f"Title {i}", t) for i, t in enumerate(texts)]
    grams = batch_shingles(words)
    keys = batch_band_keys(grams)
    assert keys.shape == (len(texts), 10)
    for i, w in enumerate(words):
        assert keys[i].tolist() == band_keys(signature(shingles(w)))
        assert np.array_equal(np.unique(grams[i]), shingles(w))
    with pytest.raises(ValueError):
        batch_shingles([["too", "short"]])


@pytest.mark.parametrize(
    "text",
    ["", "  ", "A.B c_d", "Plain ASCII, with punctuation; and MIXED case.", "Café İstanbul Ǆemal"],
)
def test_basis_words_from_the_normalised_text_are_the_same(text: str) -> None:
    assert basis_words("Title", text, normalized_text(text)) == basis_words("Title", text)


def test_a_failed_insert_sets_aside_no_index_rows(engine: Engine) -> None:
    article = ArticleIn(title="Zebra story", text=prose(3, 20) + " Zebra ends it.")
    chunks = chunk_text(article.text)
    assert len(chunks) >= 2
    clash = [chunks[0], Chunk(**{**chunks[1].model_dump(), "ordinal": 0})]
    rows: list[tuple[int, str, str]] = []
    with engine.store.db.transaction():
        with pytest.raises(Exception, match="UNIQUE"):
            engine.articles.insert(article, clash, index_rows=rows)
        assert rows == []
        engine.articles.insert(article, chunks, index_rows=rows)
        assert rows == []  # SQLite keeps no full-text rows: the postings index follows chunks
        engine.articles.write_index_rows(rows)
    assert engine.search("zebra").passages
    assert_consistent(engine.settings.database)


def test_a_candidate_gone_since_the_batch_read_its_keys_is_skipped(tmp_path: Path) -> None:
    """The batch reads its stored candidates' texts once; a candidate missing from that
    read (deleted meanwhile) sends `find` back to the store, which answers the rest."""
    stories = _copies()
    engine = Engine(Settings(data_dir=tmp_path, auto_seed=False))
    try:
        engine.ingestor.ingest_articles(stories[:1])
        stored_id = engine.store.db.query("SELECT id FROM articles")[0][0]
        index = engine.ingestor.near_dups
        assert index is not None
        with engine.store.transaction():
            expected = index.batch([stories[2]]).find(0)
            assert expected is not None and expected.article_id == stored_id
            batch = index.batch([stories[2]])
            for ids in batch.stored.values():
                ids.insert(0, stored_id + 1000)  # a candidate no longer stored
            assert batch.find(0) == expected
            assert batch.texts is not None and stored_id + 1000 not in batch.texts
    finally:
        engine.close()
