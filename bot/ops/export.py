"""Writing an export file: JSON Lines, gzipped when the name ends in .gz, written to a
temporary name and renamed, so a failed export never leaves a truncated file behind."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any


def default_export_name(now: datetime | None = None) -> Path:
    when = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    return Path(f"briefbot-export-{when}.jsonl.gz")


def write_jsonl(records: Iterable[dict[str, Any]], path: Path) -> int:
    """Write one record per line; returns how many."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    count = 0
    try:
        with _open_text(partial, gzipped=path.name.endswith(".gz")) as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)
    return count


def _open_text(path: Path, *, gzipped: bool) -> IO[str]:
    if gzipped:
        return gzip.open(path, "wt", encoding="utf-8")
    return path.open("w", encoding="utf-8")


def backup_database(database: Path, target: Path) -> int:
    """A consistent copy of the SQLite store at `target` (bytes written); see
    `bot.store.backup`."""
    from bot.store.backup import backup_sqlite

    return backup_sqlite(database, target)
