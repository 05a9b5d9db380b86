"""Feeds and their seen entries: schedule, backoff, pause after repeated failures."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from bot.errors import BriefbotError
from bot.models import Feed
from bot.store.db import DB, Row
from bot.store.errors import ConflictError
from bot.store.timefmt import from_db, required_time, to_db


class SeenKey(Protocol):
    """What marks a feed entry as seen: its key (guid or link) and its content hash."""

    @property
    def key(self) -> str: ...

    @property
    def content_hash(self) -> str: ...


E = TypeVar("E", bound=SeenKey)

_COLUMNS = (
    "id, url, name, interval_minutes, added_at, next_poll_at, last_polled_at, last_success_at,"
    " consecutive_failures, last_error, paused, entries_seen, articles_added"
)


def _feed(row: Row) -> Feed:
    return Feed(
        id=row[0],
        url=row[1],
        name=row[2],
        interval_minutes=row[3],
        added_at=required_time(from_db(row[4])),
        next_poll_at=required_time(from_db(row[5])),
        last_polled_at=from_db(row[6]),
        last_success_at=from_db(row[7]),
        consecutive_failures=row[8],
        last_error=row[9],
        paused=bool(row[10]),
        entries_seen=row[11],
        articles_added=row[12],
    )


class FeedRepository:
    def __init__(self, db: DB) -> None:
        self.db = db

    def add(self, url: str, name: str | None, interval_minutes: int, now: datetime) -> Feed:
        try:
            with self.db.transaction() as tx:
                feed_id = tx.execute(
                    "INSERT INTO feeds (url, name, interval_minutes, added_at, next_poll_at)"
                    " VALUES (?, ?, ?, ?, ?) RETURNING id",
                    (url, name, interval_minutes, to_db(now), to_db(now)),
                ).fetchone()[0]
        except ConflictError as exc:
            raise BriefbotError(f"feed already added: {url}") from exc
        return self.require(int(feed_id))

    def get(self, feed_id: int) -> Feed | None:
        rows = self.db.query(f"SELECT {_COLUMNS} FROM feeds WHERE id = ?", (feed_id,))
        return _feed(rows[0]) if rows else None

    def require(self, feed_id: int) -> Feed:
        feed = self.get(feed_id)
        if feed is None:
            raise BriefbotError(f"no feed with id {feed_id}")
        return feed

    def find(self, ref: str | int) -> Feed | None:
        """A feed by id or by URL."""
        if isinstance(ref, int) or str(ref).isdigit():
            return self.get(int(ref))
        rows = self.db.query(f"SELECT {_COLUMNS} FROM feeds WHERE url = ?", (ref,))
        return _feed(rows[0]) if rows else None

    def all(self) -> list[Feed]:
        return [_feed(r) for r in self.db.query(f"SELECT {_COLUMNS} FROM feeds ORDER BY id")]

    def due(self, now: datetime) -> list[Feed]:
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM feeds WHERE paused = 0 AND next_poll_at <= ?"
            " ORDER BY next_poll_at, id",
            (to_db(now),),
        )
        return [_feed(r) for r in rows]

    def remove(self, feed_id: int) -> bool:
        with self.db.transaction() as tx:
            return tx.execute("DELETE FROM feeds WHERE id = ?", (feed_id,)).rowcount > 0

    def resume(self, feed_id: int, now: datetime) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE feeds SET paused = 0, consecutive_failures = 0, next_poll_at = ?"
                " WHERE id = ?",
                (to_db(now), feed_id),
            )

    def validators(self, feed_id: int) -> tuple[str | None, str | None]:
        """(ETag, Last-Modified) of the last successful fetch, for a conditional GET."""
        rows = self.db.query("SELECT etag, last_modified FROM feeds WHERE id = ?", (feed_id,))
        return (rows[0][0], rows[0][1]) if rows else (None, None)

    def unseen(self, feed_id: int, entries: list[E]) -> list[E]:
        """Entries not stored before, by key (guid/link) or by content hash; repeats within
        the same document count once."""
        fresh: list[E] = []
        keys: set[str] = set()
        hashes: set[str] = set()
        for entry in entries:
            if entry.key in keys or entry.content_hash in hashes:
                continue
            keys.add(entry.key)
            hashes.add(entry.content_hash)
            seen = self.db.query(
                "SELECT 1 FROM feed_entries WHERE feed_id = ? AND entry_key = ?"
                " UNION ALL SELECT 1 FROM feed_entries WHERE feed_id = ? AND content_hash = ?"
                " LIMIT 1",
                (feed_id, entry.key, feed_id, entry.content_hash),
            )
            if not seen:
                fresh.append(entry)
        return fresh

    def record_success(
        self,
        feed_id: int,
        *,
        now: datetime,
        next_poll: datetime,
        etag: str | None,
        last_modified: str | None,
        entries: list[SeenKey],
        added: int,
    ) -> None:
        """Mark entries seen and reset the failure count, in one transaction."""
        with self.db.transaction() as tx:
            tx.executemany(
                "INSERT INTO feed_entries (feed_id, entry_key, content_hash, seen_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(feed_id, e.key, e.content_hash, to_db(now)) for e in entries],
            )
            tx.execute(
                "UPDATE feeds SET last_polled_at = ?, last_success_at = ?, next_poll_at = ?,"
                " consecutive_failures = 0, last_error = NULL,"
                " etag = coalesce(?, etag), last_modified = coalesce(?, last_modified),"
                " entries_seen = entries_seen + ?, articles_added = articles_added + ?"
                " WHERE id = ?",
                (
                    to_db(now),
                    to_db(now),
                    to_db(next_poll),
                    etag,
                    last_modified,
                    len(entries),
                    added,
                    feed_id,
                ),
            )

    def record_failure(
        self,
        feed_id: int,
        *,
        now: datetime,
        error: str,
        base_minutes: int,
        max_minutes: int,
        max_failures: int,
    ) -> bool:
        """Count a failure, back off exponentially, pause after `max_failures`; True if paused."""
        with self.db.transaction() as tx:
            row = tx.execute(
                "SELECT consecutive_failures FROM feeds WHERE id = ?", (feed_id,)
            ).fetchone()
            if row is None:
                return False
            failures = int(row[0]) + 1
            delay = min(base_minutes * 2 ** min(failures - 1, 20), max_minutes)
            paused = failures >= max_failures
            tx.execute(
                "UPDATE feeds SET last_polled_at = ?, next_poll_at = ?, consecutive_failures = ?,"
                " last_error = ?, paused = ? WHERE id = ?",
                (
                    to_db(now),
                    to_db(now + timedelta(minutes=delay)),
                    failures,
                    error[:500],
                    int(paused),
                    feed_id,
                ),
            )
        return paused
