"""A consistent copy of the SQLite database while the bot keeps running (online backup API)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from bot.store.db import StoreError


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy `source` to `target` in one read transaction (a snapshot; writers are not
    blocked in WAL mode) through a temporary file, so `target` is either whole or absent.
    Returns the size in bytes."""
    if not source.exists():
        raise StoreError(f"no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30.0)
    try:
        dest = sqlite3.connect(partial)
        try:
            src.backup(dest)
            check = dest.execute("PRAGMA quick_check").fetchone()[0]
            dest.execute("PRAGMA journal_mode=DELETE")
        finally:
            dest.close()
    except sqlite3.DatabaseError as exc:
        partial.unlink(missing_ok=True)
        raise StoreError(f"backup of {source} failed: {exc}") from exc
    finally:
        src.close()
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise StoreError(f"backup of {source} failed its check: {check}")
    os.replace(partial, target)
    return target.stat().st_size
