"""The delivery log: one row per (chat, thread, slot), claimed atomically before sending.

The row's PRIMARY KEY is the lock. `claim` inserts it (or retakes a `retry` row, or a
`claimed` row whose worker died before sending); whoever gets rowcount 1 sends. A row that
reached `sending` is never retaken: the briefing may have gone out, and a double post is
worse than a missed one.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from bot.models import Delivery, DeliveryStatus
from bot.store.db import DB, Row
from bot.store.timefmt import from_db, required_time, to_db

_COLUMNS = (
    "chat_id, thread_id, slot, subscription_id, status, attempts, detail, stories, updated_at"
)


def _row(r: Row) -> Delivery:
    return Delivery(
        chat_id=r[0],
        thread_id=r[1] or None,
        slot=required_time(from_db(r[2])),
        subscription_id=r[3],
        status=DeliveryStatus(r[4]),
        attempts=r[5],
        detail=r[6],
        stories=r[7],
        updated_at=required_time(from_db(r[8])),
    )


class DeliveryLog:
    def __init__(self, db: DB) -> None:
        self.db = db

    def claim(
        self,
        chat_id: int,
        thread_id: int | None,
        slot: datetime,
        subscription_id: int | None,
        now: datetime,
        *,
        lease: timedelta,
        max_attempts: int,
    ) -> str | None:
        """A claim token when this caller may send the slot's briefing, else None."""
        token = uuid.uuid4().hex
        key = (chat_id, thread_id or 0, to_db(slot))
        with self.db.transaction() as tx:
            cur = tx.execute(
                "INSERT INTO briefing_deliveries (chat_id, thread_id, slot, subscription_id,"
                " status, attempts, claim_token, claimed_at, updated_at)"
                " VALUES (?, ?, ?, ?, 'claimed', 1, ?, ?, ?) ON CONFLICT DO NOTHING",
                (*key, subscription_id, token, to_db(now), to_db(now)),
            )
            if cur.rowcount == 1:
                return token
            cur = tx.execute(
                "UPDATE briefing_deliveries SET status = 'claimed', attempts = attempts + 1,"
                " claim_token = ?, claimed_at = ?, updated_at = ?"
                " WHERE chat_id = ? AND thread_id = ? AND slot = ? AND attempts < ?"
                " AND (status = 'retry' OR (status = 'claimed' AND claimed_at < ?))",
                (token, to_db(now), to_db(now), *key, max_attempts, to_db(now - lease)),
            )
            return token if cur.rowcount == 1 else None

    def update(
        self,
        chat_id: int,
        thread_id: int | None,
        slot: datetime,
        token: str,
        status: DeliveryStatus,
        now: datetime,
        *,
        detail: str | None = None,
        stories: int | None = None,
    ) -> bool:
        """Move a claimed row on; False when another worker has taken it over meanwhile."""
        with self.db.transaction() as tx:
            cur = tx.execute(
                "UPDATE briefing_deliveries SET status = ?, detail = coalesce(?, detail),"
                " stories = coalesce(?, stories), updated_at = ?"
                " WHERE chat_id = ? AND thread_id = ? AND slot = ? AND claim_token = ?",
                (
                    status.value,
                    detail,
                    stories,
                    to_db(now),
                    chat_id,
                    thread_id or 0,
                    to_db(slot),
                    token,
                ),
            )
        return cur.rowcount == 1

    def record(
        self,
        chat_id: int,
        thread_id: int | None,
        slot: datetime,
        subscription_id: int | None,
        status: DeliveryStatus,
        now: datetime,
        detail: str,
    ) -> bool:
        """Log an outcome without sending (a skipped slot); never overwrites an existing row."""
        with self.db.transaction() as tx:
            cur = tx.execute(
                "INSERT INTO briefing_deliveries (chat_id, thread_id, slot, subscription_id,"
                " status, attempts, detail, claimed_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT DO NOTHING",
                (
                    chat_id,
                    thread_id or 0,
                    to_db(slot),
                    subscription_id,
                    status.value,
                    detail,
                    to_db(now),
                    to_db(now),
                ),
            )
        return cur.rowcount == 1

    def abandon_stale_sends(self, now: datetime, lease: timedelta) -> int:
        """`sending` rows whose worker died: mark failed (not resent; it may have gone out)."""
        with self.db.transaction() as tx:
            cur = tx.execute(
                "UPDATE briefing_deliveries SET status = 'failed', updated_at = ?,"
                " detail = 'interrupted while sending; not resent to avoid a double post'"
                " WHERE status = 'sending' AND updated_at < ?",
                (to_db(now), to_db(now - lease)),
            )
        return cur.rowcount

    def get(self, chat_id: int, thread_id: int | None, slot: datetime) -> Delivery | None:
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM briefing_deliveries"
            " WHERE chat_id = ? AND thread_id = ? AND slot = ?",
            (chat_id, thread_id or 0, to_db(slot)),
        )
        return _row(rows[0]) if rows else None

    def recent(self, chat_id: int | None = None, limit: int = 50) -> list[Delivery]:
        where = " WHERE chat_id = ?" if chat_id is not None else ""
        params: tuple = (chat_id, limit) if chat_id is not None else (limit,)
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM briefing_deliveries{where}"
            " ORDER BY slot DESC, chat_id LIMIT ?",
            params,
        )
        return [_row(r) for r in rows]
