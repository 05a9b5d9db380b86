"""The PostgreSQL connection pool, with the same surface as the SQLite `Database`.

Repositories write `?` placeholders and portable SQL; this class turns them into psycopg's
`%s`. A transaction holds one pooled connection for its thread (nested ones become
savepoints, as on SQLite); a query outside a transaction borrows a connection in autocommit.
Several processes may share the database: each holds its own pool.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from bot.store.errors import ConflictError, StoreError

Row = tuple[Any, ...]
POOL_MAX = 8
CONNECT_TIMEOUT = 10.0


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


@lru_cache(maxsize=1024)
def to_psycopg(sql: str) -> str:
    """`?` placeholders → `%s` (a literal `%` is doubled first)."""
    return re.sub(r"\?", "%s", sql.replace("%", "%%"))


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except psycopg.errors.IntegrityError as exc:
        raise ConflictError(f"database conflict: {exc}") from exc
    except PoolTimeout as exc:
        raise StoreError(f"database unavailable: {exc}") from exc
    except psycopg.Error as exc:
        raise StoreError(f"database error: {exc}") from exc


class Transaction:
    """What `PgDatabase.transaction()` yields: execute with `?` placeholders, and COPY."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor:
        return self.conn.execute(to_psycopg(sql), params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> psycopg.Cursor:
        cur = self.conn.cursor()
        cur.executemany(to_psycopg(sql), rows)
        return cur

    def copy_rows(self, table_and_columns: str, rows: Iterable[Sequence[Any]]) -> None:
        """COPY `table (columns)` FROM STDIN: the fast path for bulk ingest."""
        with (
            self.conn.cursor() as cur,
            cur.copy(f"COPY {table_and_columns} FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)


class PgDatabase:
    dialect = "postgresql"
    like = "ILIKE"  # SQLite's LIKE ignores ASCII case; PostgreSQL's does not

    def __init__(self, url: str, *, migrate_schema: bool = True, max_size: int = POOL_MAX):
        self.url = url
        self.path = redacted(url)
        self._local = threading.local()
        try:
            self.pool = ConnectionPool(
                url,
                min_size=1,
                max_size=max_size,
                kwargs={"autocommit": True},
                timeout=CONNECT_TIMEOUT,
                open=False,
                name="briefbot",
            )
            self.pool.open(wait=True, timeout=CONNECT_TIMEOUT)
        except (psycopg.Error, PoolTimeout) as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        if migrate_schema:
            from bot.store.migrations import SchemaTooNewError
            from bot.store.postgres.migrations import migrate

            try:
                migrate(self)
            except SchemaTooNewError as exc:
                self.pool.close()
                raise StoreError(f"cannot open database {self.path}: {exc}") from exc
            except StoreError:
                self.pool.close()
                raise

    def _current(self) -> psycopg.Connection | None:
        return getattr(self._local, "conn", None)

    @contextmanager
    def transaction(self, *, savepoint: bool = True) -> Iterator[Transaction]:
        """BEGIN … COMMIT on one pooled connection, or a SAVEPOINT when nested (or, with
        `savepoint=False`, just the enclosing transaction: for a statement that cannot fail
        but on a conflict it absorbs, a savepoint is two round trips for nothing)."""
        conn = self._current()
        if conn is not None:
            if not savepoint:
                with _translated():
                    yield Transaction(conn)
                return
            with _translated(), conn.transaction():
                yield Transaction(conn)
            return
        with _translated(), self.pool.connection() as conn:
            self._local.conn = conn
            try:
                with conn.transaction():
                    yield Transaction(conn)
            finally:
                self._local.conn = None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        conn = self._current()
        with _translated():
            if conn is not None:
                return conn.execute(to_psycopg(sql), params).fetchall()
            with self.pool.connection() as conn:
                return conn.execute(to_psycopg(sql), params).fetchall()

    @contextmanager
    def session(self) -> Iterator[psycopg.Connection]:
        """A connection of its own, outside the pool (advisory locks live as long as it)."""
        with _translated(), psycopg.connect(self.url, autocommit=True) as conn:
            yield conn

    def ping(self) -> bool:
        """True when the database answers a query (health checks)."""
        try:
            self.query("SELECT 1")
        except StoreError:
            return False
        return True

    def size_bytes(self) -> int:
        return int(self.query("SELECT pg_database_size(current_database())")[0][0])

    def close(self) -> None:
        self.pool.close()
