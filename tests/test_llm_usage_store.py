"""The usage ledger: migration from an older schema and per-chat UTC-day totals."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from bot.store.db import Database
from bot.store.migrations import LATEST_VERSION, MIGRATIONS, _v4_llm_usage, migrate
from bot.store.usage import UsageRepository


def test_database_before_the_usage_migration_gains_the_usage_table(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=MIGRATIONS.index(_v4_llm_usage))
    assert not conn.execute("SELECT name FROM sqlite_master WHERE name = 'llm_usage'").fetchall()
    conn.execute("INSERT INTO meta (key, value) VALUES ('kept', 'yes')")
    conn.close()
    db = Database(path)
    try:
        assert db.query("PRAGMA user_version")[0][0] == LATEST_VERSION
        assert db.query("SELECT value FROM meta WHERE key = 'kept'") == [("yes",)]
        assert db.query("SELECT count(*) FROM llm_usage")[0][0] == 0
    finally:
        db.close()


def test_usage_totals_per_chat_and_utc_day(tmp_path: Path) -> None:
    db = Database(tmp_path / "u.sqlite3")
    usage = UsageRepository(db)
    late = datetime(2026, 1, 1, 23, 30, tzinfo=UTC)
    try:
        usage.record(
            "1", mode="llm", prompt_tokens=100, completion_tokens=20, fallback_reason=None, now=late
        )
        usage.record(
            "1",
            mode="extractive",
            prompt_tokens=0,
            completion_tokens=0,
            fallback_reason="deadline",
            now=late,
        )
        usage.record(
            "2", mode="llm", prompt_tokens=7, completion_tokens=1, fallback_reason=None, now=late
        )
        usage.record(
            None, mode="llm", prompt_tokens=5, completion_tokens=5, fallback_reason=None, now=late
        )
        usage.record(
            "1",
            mode="llm",
            prompt_tokens=50,
            completion_tokens=5,
            fallback_reason=None,
            now=late + timedelta(hours=1),
        )
        assert usage.used_on("1", late) == 120
        assert usage.used_on("2", late) == 8
        assert usage.used_on(None, late) == 10
        assert usage.used_on("1", late + timedelta(hours=1)) == 55
        # the same instant seen from UTC+2 is still 1 January 23:30 UTC
        assert usage.used_on("1", late.astimezone(timezone(timedelta(hours=2)))) == 120
    finally:
        db.close()
