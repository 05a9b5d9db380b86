"""SQLite keeps each article's near-duplicate band keys in one appended row and looks them up
in memory: the upgrade moves the old band rows over unchanged, memory follows what other
processes write and delete, and a lookup answers exactly what the table holds."""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.engine import Engine
from bot.models import ArticleIn
from bot.store.migrations import LATEST_VERSION
from bot.store.neardups import _merge_runs, distinct_shingles
from bot.text.minhash import shingles
from tests.support.content import long_text, syndicated


def _story(n: int, topic: str) -> ArticleIn:
    return ArticleIn(title=f"{topic} {n}", text=long_text(topic), url=f"https://s{n}.example/{n}")


def _copy(article: ArticleIn, n: int) -> ArticleIn:
    return article.model_copy(
        update={
            "url": f"https://copy{n}.example/x",
            "title": f"Copy {n}",
            "text": f"{article.text} Filed by the wire desk.",
        }
    )


def _prints(path: Path) -> set[tuple[int, int]]:
    with sqlite3.connect(path) as db:
        return {
            (key, int(article_id))
            for article_id, blob in db.execute("SELECT article_id, keys FROM near_dup_prints")
            for key in struct.unpack(f"<{len(blob) // 8}q", blob)
        }


def test_the_upgrade_moves_band_rows_over_and_copies_still_match(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, auto_seed=False)
    engine = Engine(settings)
    stories = list(syndicated().values())
    first = ArticleIn(title="Rates", text=stories[0], url="https://wire.example/rates")
    museum = ArticleIn(title="Museum", text=long_text("museum wing"), url="https://m.example")
    assert engine.ingestor.ingest_articles([first, museum]).added == 2
    engine.close()
    written = _prints(settings.database)
    assert len(written) == 20 and len({a for _, a in written}) == 2
    # the store as the previous schema kept it: a row per key, keyed by the key
    with sqlite3.connect(settings.database) as db:
        db.execute(
            "CREATE TABLE near_dup_bands (band_key INTEGER NOT NULL, article_id INTEGER NOT NULL,"
            " PRIMARY KEY (band_key, article_id)) WITHOUT ROWID"
        )
        db.executemany("INSERT INTO near_dup_bands VALUES (?, ?)", sorted(written))
        db.execute("DROP TABLE near_dup_prints")
        db.execute(f"PRAGMA user_version = {LATEST_VERSION - 1}")
    engine = Engine(settings)
    try:
        assert _prints(settings.database) == written
        tables = {r[0] for r in engine.store.db.query("SELECT name FROM sqlite_schema")}
        assert "near_dup_bands" not in tables
        copy = ArticleIn(title="Rates again", text=stories[1], url="https://other.example/r")
        report = engine.ingestor.ingest_articles([copy])
        assert (report.added, report.near_duplicates) == (0, 1)
    finally:
        engine.close()


def test_memory_follows_other_writers_deletions_and_reused_ids(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, auto_seed=False)
    reader, writer = Engine(settings), Engine(settings)
    try:
        old = _story(1, "harbour crane collapse")
        assert reader.ingestor.ingest_articles([old]).added == 1  # loads the reader's memory
        newest = _story(2, "mountain rail tunnel")
        (newest_id,) = writer.ingestor.ingest_articles([newest]).added_ids
        # written by another process after the reader loaded: found all the same
        report = reader.ingestor.ingest_articles([_copy(newest, 1)])
        assert (report.added, report.near_duplicates) == (0, 1)
        # the newest article removed and its id taken by another story
        assert writer.remove_articles([newest_id])[0].removed
        other = _story(3, "river flood barrier")
        assert writer.ingestor.ingest_articles([other]).added_ids == [newest_id]
        gone = reader.ingestor.ingest_articles([_copy(newest, 2)])
        assert (gone.added, gone.near_duplicates) == (1, 0)  # never matched to a ghost
        again = reader.ingestor.ingest_articles([_copy(other, 3)])
        assert (again.added, again.near_duplicates) == (0, 1)
        match = reader.store.db.query(
            "SELECT canonical_id FROM article_alternates WHERE title = 'Copy 3'"
        )
        assert match == [(newest_id,)]
    finally:
        reader.close()
        writer.close()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 30), max_size=40),
    st.lists(st.integers(0, 30), max_size=40),
)
def test_two_runs_merge_as_a_stable_sort_of_both(older: list[int], newer: list[int]) -> None:
    a, b = np.sort(np.asarray(older, dtype=np.uint32)), np.sort(np.asarray(newer, dtype=np.uint32))
    a_ids = np.arange(a.size, dtype=np.int32)
    b_ids = np.arange(100, 100 + b.size, dtype=np.int32)
    both = np.concatenate([a, b])
    order = np.argsort(both, kind="stable")
    prefixes, owners = _merge_runs((a, a_ids), (b, b_ids))
    assert prefixes.tolist() == both[order].tolist()
    assert owners.tolist() == np.concatenate([a_ids, b_ids])[order].tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "b", "c", "d", "é", ""]), max_size=9), max_size=8))
def test_shingles_of_many_texts_equal_each_texts_own(word_lists: list[list[str]]) -> None:
    together = distinct_shingles(word_lists)
    assert len(together) == len(word_lists)
    for words, got in zip(word_lists, together, strict=True):
        want = shingles(words)
        assert got.dtype == want.dtype and got.tolist() == want.tolist()
