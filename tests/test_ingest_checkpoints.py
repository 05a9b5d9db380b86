"""A bulk ingest lets SQLite's write-ahead log grow before it is copied back, and puts the
usual setting back afterwards, also when the ingest fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.engine import Engine
from bot.models import ArticleIn
from bot.store.db import BULK_CHECKPOINT_PAGES, DEFAULT_CHECKPOINT_PAGES
from tests.support.content import long_text


def _pages(engine: Engine) -> int:
    return int(engine.store.db.query("PRAGMA wal_autocheckpoint")[0][0])


def test_checkpoints_are_fewer_during_an_ingest_only(tmp_path: Path) -> None:
    engine = Engine(Settings(data_dir=tmp_path, auto_seed=False, ingest_batch=1))
    try:
        assert _pages(engine) == DEFAULT_CHECKPOINT_PAGES
        seen: list[int] = []
        engine.ingestor.after_batch.append(lambda ids: seen.append(_pages(engine)))
        articles = [
            ArticleIn(title=f"Story {n}", text=long_text(f"topic {n}"), url=f"https://e.x/{n}")
            for n in range(3)
        ]
        assert engine.ingestor.ingest_articles(articles).added == 3
        assert seen == [BULK_CHECKPOINT_PAGES] * 3
        assert _pages(engine) == DEFAULT_CHECKPOINT_PAGES

        def fail(ids: list[int]) -> None:
            raise RuntimeError("hook failed")

        engine.ingestor.after_batch.append(fail)
        with pytest.raises(RuntimeError):
            engine.ingestor.ingest_articles(articles[:1])
        assert _pages(engine) == DEFAULT_CHECKPOINT_PAGES
    finally:
        engine.close()
