"""Heartbeats of running bots: each instance stores its counters every few seconds in the
`meta` table (key `instance:<name>`), so `briefbot doctor` can show them for bots that have no
HTTP port (long polling) and a health check can tell a live bot from a hung one."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from bot.store.db import DB
from bot.store.timefmt import from_db, to_db

PREFIX = "instance:"


class InstanceRepository:
    def __init__(self, db: DB) -> None:
        self.db = db

    def beat(self, name: str, state: dict[str, Any], now: datetime) -> None:
        """Store this instance's state and forget instances silent for a day."""
        value = json.dumps({**state, "updated_at": to_db(now)})
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (PREFIX + name, value),
            )
            for key, old in tx.execute(
                "SELECT key, value FROM meta WHERE key LIKE ? ESCAPE '\\'", ("instance:%",)
            ).fetchall():
                updated = from_db(json.loads(old).get("updated_at"))
                if updated is None or now - updated > timedelta(days=1):
                    tx.execute("DELETE FROM meta WHERE key = ?", (key,))

    def all(self) -> dict[str, dict[str, Any]]:
        """name → its last stored state (with `updated_at`)."""
        rows = self.db.query(
            "SELECT key, value FROM meta WHERE key LIKE ? ESCAPE '\\' ORDER BY key",
            ("instance:%",),
        )
        return {str(k)[len(PREFIX) :]: json.loads(v) for k, v in rows}
