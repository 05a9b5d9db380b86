"""Re-ingesting the same input adds no alternate sources: a copy already recorded is a
duplicate, and one copy never hangs under two stories (enforced by the store, too)."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest
from corpus_helpers import main_in_process, write_jsonl

from bot.config import Settings
from bot.engine import Engine
from bot.models import ArticleIn


def _texts() -> tuple[str, str, str]:
    """A, B and D: B is a copy of A (Jaccard ~0.82); D is a closer copy of B (~0.89) but not
    of A (~0.72), so D is stored as its own story the first time (B is not stored)."""
    rng = random.Random(5)
    base = [f"word{i}" for i in range(300)]
    b = list(base)
    for i in range(10):
        b[15 + i * 28] = f"bee{rng.randint(0, 10**6)}"
    d = list(b)
    for i in range(6):
        d[30 + i * 45] = f"dee{rng.randint(0, 10**6)}"
    return " ".join(base) + ".", " ".join(b) + ".", " ".join(d) + "."


def _items() -> list[dict[str, str]]:
    a, b, d = _texts()
    return [
        {"title": "Story", "text": a, "url": "https://a.example/s", "source": "A"},
        {"title": "Story", "text": b, "url": "https://b.example/s", "source": "B"},
        {"title": "Story", "text": d, "url": "https://d.example/s", "source": "D"},
        {"title": "Story", "text": a, "url": "https://c.example/s", "source": "C"},  # exact copy
    ]


def _alternates(db_path: Path) -> list[tuple[int, str]]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(
            "SELECT canonical_id, dedupe_key FROM article_alternates ORDER BY id"
        ).fetchall()
    finally:
        conn.close()


def test_reingesting_the_same_file_adds_no_alternates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_jsonl(tmp_path / "wire.jsonl", _items())
    data = tmp_path / "d"
    first = main_in_process(capsys, "ingest", str(path), "--data-dir", str(data))
    assert first[0] == 0, first[2]
    before = _alternates(data / "briefbot.sqlite3")
    assert len(before) == 2  # B (near copy of A) and C (exact copy of A)
    for _ in range(2):
        code, out, err = main_in_process(capsys, "ingest", str(path), "--data-dir", str(data))
        assert code == 0, err
        assert out.startswith("added 0, 4 duplicates, 0 rejected")
    assert _alternates(data / "briefbot.sqlite3") == before


def test_a_copy_is_recorded_under_one_story_only(settings: Settings, tmp_path: Path) -> None:
    engine = Engine(settings.updated(auto_seed=False))
    try:
        engine.ingest([write_jsonl(tmp_path / "w.jsonl", _items()[:3])])
        a, d = sorted(article.id for article in engine.sources())
        # B is recorded under A; attaching it to D as well is refused by the store itself
        assert engine.ingestor.alternates.add(d, ArticleIn(**_items()[1]), 0.9) is False
    finally:
        engine.close()
    assert [row[0] for row in _alternates(settings.store.db_path or Path())] == [a]


def test_a_store_with_a_copy_under_two_stories_is_repaired(
    settings: Settings, tmp_path: Path
) -> None:
    engine = Engine(settings.updated(auto_seed=False))
    engine.ingest([write_jsonl(tmp_path / "w.jsonl", _items()[:3])])
    engine.close()
    db_path = settings.store.db_path or Path()
    [(a, key)] = _alternates(db_path)
    conn = sqlite3.connect(db_path)
    conn.execute("DROP INDEX article_alternates_key")  # as written before migration 9
    conn.execute(
        "INSERT INTO article_alternates (canonical_id, dedupe_key, title, similarity, added_at)"
        " SELECT max(id), ?, 'Story', 0.9, '2023-10-01T00:00:00+00:00' FROM articles",
        (key,),
    )
    conn.execute("PRAGMA user_version = 8")
    conn.commit()
    conn.close()
    Engine(settings.updated(auto_seed=False)).close()
    assert _alternates(db_path) == [(a, key)]
