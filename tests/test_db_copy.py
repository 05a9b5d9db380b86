"""`briefbot db copy --to postgresql://…`: everything arrives, a rerun changes nothing, and an
interrupted copy resumes where it stopped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.engine import Engine
from bot.models import DeliveryStatus, SubscribeRequest
from bot.store import Store
from bot.store.postgres.copy import copy_store
from bot.store.postgres.db import PgDatabase
from tests.corpus_helpers import main_in_process

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NOW = datetime(2023, 10, 20, 12, 0, tzinfo=UTC)
QUESTION = "What hit Ain al-Asad?"


def _source(tmp_path: Path) -> Settings:
    """An SQLite store with articles, a vector, a feed, a subscription, a delivery, a
    conversation and token usage."""
    settings = Settings(data_dir=tmp_path / "lite")
    engine = Engine(settings)
    engine.ensure_corpus()
    engine.ingest([FIXTURES / "bbc_small.jsonl"])
    store = engine.store
    chunk = store.vectors.chunks_missing("m", 1)[0][0]
    store.vectors.write("m", [chunk], np.ones((1, 4), dtype=np.float32))
    store.feeds.add("https://example.com/rss", "Example", 30, NOW)
    request = SubscribeRequest(time_of_day="08:00", timezone="UTC", timezone_origin="default")
    sub = store.subscriptions.subscribe(-100, None, request, NOW)
    store.deliveries.record(-100, None, NOW, sub.id, DeliveryStatus.SKIPPED, NOW, "test")
    memory = store.conversations(max_turns=4, max_tokens=500, idle=NOW - NOW)
    memory.add_turn(
        None, chat_id=5, user_id=5, thread_id=None, question="q", answer="a", message_ids=[1]
    )
    store.usage.record(
        "5", mode="llm", prompt_tokens=3, completion_tokens=4, fallback_reason=None, now=NOW
    )
    engine.close()
    return settings


def test_copy_then_rerun(tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    settings = _source(tmp_path)
    data = str(settings.store.data_dir)
    code, out, _ = main_in_process(capsys, "db", "copy", "--to", pg_url, "--data-dir", data)
    assert code == 0, out
    assert "stats match" in out and "articles 53" in out
    code, out, _ = main_in_process(capsys, "db", "copy", "--to", pg_url, "--data-dir", data)
    assert code == 0 and "stats match" in out and "articles" not in out.splitlines()[0]

    lite = Engine(settings)
    pg = Engine(Settings(data_dir=tmp_path / "pg", database_url=pg_url))
    try:
        assert pg.stats().model_dump(exclude={"db_bytes"}) == lite.stats().model_dump(
            exclude={"db_bytes"}
        )
        assert pg.answer_extractive(QUESTION) == lite.answer_extractive(QUESTION)
        assert pg.store.has_postings  # the copy keeps the fingerprint the index follows
        assert pg.store.postings.view.fingerprint == lite.store.postings.view.fingerprint
        assert pg.store.vectors.nearest("m", np.ones(4, dtype=np.float32), 1)[0][1] > 0.99
        # near-duplicate keys: one row per article in SQLite, a row per key in PostgreSQL
        bands = pg.store.db.query("SELECT band_key, article_id FROM near_dup_bands")
        prints = lite.store.db.query("SELECT article_id, keys FROM near_dup_prints")
        expected = {
            (key, a) for a, blob in prints for key in np.frombuffer(blob, dtype="<i8").tolist()
        }
        assert len(expected) > 100 and {(int(k), int(a)) for k, a in bands} == expected
        for engine in (lite, pg):
            store = engine.store
            assert store.vectors.count("m") == 1
            assert [f.url for f in store.feeds.all()] == ["https://example.com/rss"]
            assert store.deliveries.recent(-100)[0].detail == "test"
            assert store.usage.used_on("5", NOW) == 7
        memory = pg.store.conversations(max_turns=4, max_tokens=500, idle=timedelta(hours=1))
        assert [t.answer for t in memory.history(memory.for_message(5, 1))] == ["a"]
        assert pg.store.subscriptions.get_for(-100) == lite.store.subscriptions.get_for(-100)
        # new rows get fresh ids after the copied ones
        assert pg.store.feeds.add("https://example.org/2", None, 30, NOW).id == 2
    finally:
        lite.close()
        pg.close()


def test_an_interrupted_copy_resumes(tmp_path: Path, pg_url: str) -> None:
    settings = _source(tmp_path)
    source = Engine(settings)
    target = PgDatabase(pg_url)

    def stop_after_first_range(table: str, rows: int) -> None:
        raise KeyboardInterrupt

    try:
        with pytest.raises(KeyboardInterrupt):
            copy_store(source.store.db, target, per_range=10, progress=stop_after_first_range)
        assert Store(target).articles.count() == 10  # the first range committed, no more
        written = copy_store(source.store.db, target, per_range=10)
        assert written["articles"] == 43
        stats = Store(target).articles.stats()
        assert stats.model_dump(exclude={"db_bytes"}) == source.stats().model_dump(
            exclude={"db_bytes"}
        )
        assert Store(target).search.doc_freqs(["asad"], stats.chunks) == {"asad": 1}
        # the same passages under the same ids: the same fingerprint, range by range
        lite, pg = source.store.search.index_state(), Store(target).search.index_state()
        assert (pg.chunks, pg.id_hash, pg.max_id) == (lite.chunks, lite.id_hash, lite.max_id)
    finally:
        target.close()
        source.close()


def test_copy_refuses_a_database_with_other_data(tmp_path: Path, pg_url: str) -> None:
    pg = Engine(Settings(data_dir=tmp_path / "pg", database_url=pg_url))
    pg.ensure_corpus()
    pg.close()
    source = Engine(Settings(data_dir=tmp_path / "lite"))
    try:
        with pytest.raises(Exception, match="not empty"):
            source.copy_to_postgres(pg_url)
    finally:
        source.close()
