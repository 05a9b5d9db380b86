"""The SQLite connection: pragmas, migrations, and explicit transactions."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

from bot.store.errors import ConflictError, StoreError
from bot.store.migrations import SchemaTooNewError, migrate

# A result row: a plain tuple on every backend.
Row = tuple[Any, ...]
T = TypeVar("T")


def in_batches(values: Sequence[T], size: int) -> Iterator[tuple[Sequence[T], str]]:
    """`values` in parts of at most `size`, each with its `?,?,…` for an `IN (…)`: a
    statement's bound parameters are capped (SQLite: 32,766)."""
    for start in range(0, len(values), size):
        part = values[start : start + size]
        yield part, ",".join("?" * len(part))


# SQLite's default automatic checkpoint, and the one bulk ingests use (4 KB pages: ~80 MB).
DEFAULT_CHECKPOINT_PAGES = 1_000
BULK_CHECKPOINT_PAGES = 20_000


class DB(Protocol):
    """What repositories use of a database, SQLite's `Database` or PostgreSQL's `PgDatabase`.

    SQL is written with `?` placeholders; `like` is the case-insensitive LIKE operator.
    """

    dialect: str
    like: str

    def transaction(self) -> AbstractContextManager[Any]: ...

    def query(self, sql: str, params: Sequence[Any] = ...) -> list[Row]: ...

    def size_bytes(self) -> int: ...

    def ping(self) -> bool: ...

    def close(self) -> None: ...


@contextmanager
def _translated() -> Iterator[None]:
    """Driver errors leave the store as StoreError (ConflictError for unique keys)."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        raise ConflictError(f"database conflict: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"database error: {exc}") from exc


class Database:
    """One connection, shared by the engine; writes are serialised by a lock.

    The connection runs in autocommit mode and every write goes through `transaction()`,
    so each unit of work (an article with its chunks and index rows) commits or rolls back
    as a whole.
    """

    dialect = "sqlite"
    like = "LIKE"  # ASCII case-insensitive in SQLite

    def __init__(self, path: Path | str, *, migrate_schema: bool = True) -> None:
        self.path = Path(path)
        conn: sqlite3.Connection | None = None
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = conn = sqlite3.connect(
                str(path), isolation_level=None, check_same_thread=False, timeout=30.0
            )
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA busy_timeout=30000")
            self.conn.execute("PRAGMA temp_store=MEMORY")
            # 16 MB: searches read a few rows by id (the postings index does the rest), and
            # at ingest a larger cache only raised peak memory, not speed
            self.conn.execute("PRAGMA cache_size=-16384")
            if migrate_schema:
                migrate(self.conn)
        except (sqlite3.DatabaseError, SchemaTooNewError) as exc:
            if conn is not None:
                conn.close()
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"cannot create data directory {self.path.parent}: {exc}") from exc
        self.lock = threading.RLock()
        self._depth = 0
        self._bulk = 0

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, or a SAVEPOINT when nested inside another transaction."""
        with self.lock, _translated():
            if self._depth == 0:
                self.conn.execute("BEGIN IMMEDIATE")
                name = None
            else:
                name = f"sp{self._depth}"
                self.conn.execute(f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield self.conn
            except BaseException:
                self._depth -= 1
                if name is None:
                    self.conn.execute("ROLLBACK")
                else:
                    self.conn.execute(f"ROLLBACK TO {name}")
                    self.conn.execute(f"RELEASE {name}")
                raise
            self._depth -= 1
            if name is None:
                self.conn.execute("COMMIT")
            else:
                self.conn.execute(f"RELEASE {name}")

    @contextmanager
    def fewer_checkpoints(self, pages: int = BULK_CHECKPOINT_PAGES) -> Iterator[None]:
        """Let the write-ahead log grow to `pages` before it is copied back (not SQLite's
        1,000) while a bulk ingest runs: a batch commit writes thousands of pages, so each
        commit was followed by a checkpoint that wrote them again and synced the file, and
        an index page touched by several batches is now copied once. Durability is the
        same: the log holds every committed page until then."""
        with self.lock:
            if self._bulk == 0:
                self.conn.execute(f"PRAGMA wal_autocheckpoint={int(pages)}")
            self._bulk += 1
        try:
            yield
        finally:
            with self.lock:
                self._bulk -= 1
                if self._bulk == 0:
                    self.conn.execute(f"PRAGMA wal_autocheckpoint={DEFAULT_CHECKPOINT_PAGES}")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self.lock, _translated():
            return self.conn.execute(sql, params).fetchall()

    def ping(self) -> bool:
        """True when the database answers a query (health checks)."""
        try:
            self.query("SELECT 1")
        except (sqlite3.Error, StoreError):
            return False
        return True

    def size_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                total += p.stat().st_size
        return total

    def close(self) -> None:
        with self.lock:
            self.conn.close()
