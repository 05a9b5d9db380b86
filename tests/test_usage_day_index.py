"""Everyone's tokens of the day (checked before every LLM call) come from an index on the
ledger's day, on both backends, not from a scan of the whole ledger."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.store.db import Database
from bot.store.migrations import MIGRATIONS, _v11_usage_day_index, migrate
from bot.store.usage import UsageRepository

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def daily_total_sql(db: Database) -> str:
    """The statement `used_by_all_on` runs, as SQLite saw it (parameters bound)."""
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    try:
        UsageRepository(db).used_by_all_on(NOW)
    finally:
        db.conn.set_trace_callback(None)
    [sql] = [s for s in seen if "llm_usage" in s]
    return sql


def test_an_older_database_gains_the_index_and_the_daily_total_uses_it(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=MIGRATIONS.index(_v11_usage_day_index))
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'llm_usage_day'").fetchall()
    conn.close()
    db = Database(path)
    try:
        UsageRepository(db).record(
            "1", mode="llm", prompt_tokens=5, completion_tokens=2, fallback_reason=None, now=NOW
        )
        assert db.query("SELECT 1 FROM sqlite_master WHERE name = 'llm_usage_day'") == [(1,)]
        plan = " ".join(
            str(row[-1]) for row in db.query(f"EXPLAIN QUERY PLAN {daily_total_sql(db)}")
        )
        assert UsageRepository(db).used_by_all_on(NOW) == 7
    finally:
        db.close()
    assert "USING COVERING INDEX llm_usage_day (day=?)" in plan, plan


def test_postgres_has_the_index_and_can_answer_the_daily_total_from_it(
    tmp_path: Path, pg_url: str
) -> None:
    from bot.store.postgres.db import PgDatabase

    sqlite_db = Database(tmp_path / "plan.sqlite3")
    try:
        sql = daily_total_sql(sqlite_db)
    finally:
        sqlite_db.close()
    db = PgDatabase(pg_url)
    try:
        [(definition,)] = db.query(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'llm_usage'"
            " AND indexname = 'llm_usage_day'"
        )
        with db.transaction() as tx:
            tx.execute("SET LOCAL enable_seqscan = off")  # an empty table would be scanned
            plan = " ".join(str(row[0]) for row in tx.execute(f"EXPLAIN {sql}").fetchall())
    finally:
        db.close()
    assert "(day)" in definition and "INCLUDE (prompt_tokens, completion_tokens)" in definition
    assert "llm_usage_day" in plan, plan
