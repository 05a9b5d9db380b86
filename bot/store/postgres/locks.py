"""Session advisory locks for jobs that one instance at a time should run."""

from __future__ import annotations

import contextlib
import hashlib
import logging

import psycopg

from bot.store.postgres.db import PgDatabase

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (pg_advisory_lock takes a bigint)."""
    digest = hashlib.sha256(f"briefbot:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AdvisoryLock:
    def __init__(self, db: PgDatabase, name: str) -> None:
        self.db = db
        self.name = name
        self.key = lock_key(name)
        self._conn: psycopg.Connection | None = None

    def try_hold(self) -> bool:
        if self._conn is not None:
            try:
                self._conn.execute("SELECT 1")
                return True
            except psycopg.Error:  # the connection died: so did the lock
                log.warning("lost the %s lock with its database connection", self.name)
                self._drop()
        try:
            conn = psycopg.connect(self.db.url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            log.warning("cannot take the %s lock: %s", self.name, exc)
            return False
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        if row and row[0]:
            self._conn = conn
            log.info("this instance now runs %s", self.name)
            return True
        conn.close()
        return False

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()

    def release(self) -> None:
        self._drop()  # closing the session releases its advisory locks
