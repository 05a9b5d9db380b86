"""Subscriptions and per-chat briefing state (timezone last set, last briefing)."""

from __future__ import annotations

import json
from datetime import datetime

from bot.models import SubscribeRequest, Subscription, SubscriptionStatus
from bot.store.db import DB, Row
from bot.store.timefmt import from_db, required_time, to_db

_COLUMNS = (
    "id, chat_id, thread_id, time_of_day, timezone, keywords, status, status_reason,"
    " created_at, updated_at, last_slot"
)


def _thread(thread_id: int | None) -> int:
    return thread_id or 0


def _row(r: Row) -> Subscription:
    return Subscription(
        id=r[0],
        chat_id=r[1],
        thread_id=r[2] or None,
        time_of_day=r[3],
        timezone=r[4],
        keywords=json.loads(r[5]),
        status=SubscriptionStatus(r[6]),
        status_reason=r[7],
        created_at=required_time(from_db(r[8])),
        updated_at=required_time(from_db(r[9])),
        last_slot=from_db(r[10]),
    )


class SubscriptionStore:
    def __init__(self, db: DB) -> None:
        self.db = db

    # --- per-chat state -------------------------------------------------------------
    def chat_timezone(self, chat_id: int) -> str | None:
        rows = self.db.query("SELECT timezone FROM briefing_chats WHERE chat_id = ?", (chat_id,))
        return rows[0][0] if rows else None

    def set_chat_timezone(self, chat_id: int, tz: str) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO briefing_chats (chat_id, timezone) VALUES (?, ?)"
                " ON CONFLICT(chat_id) DO UPDATE SET timezone = excluded.timezone",
                (chat_id, tz),
            )

    def last_briefing_at(self, chat_id: int) -> datetime | None:
        rows = self.db.query(
            "SELECT last_briefing_at FROM briefing_chats WHERE chat_id = ?", (chat_id,)
        )
        return from_db(rows[0][0]) if rows else None

    def set_last_briefing_at(self, chat_id: int, when: datetime) -> None:
        """Only moves forward: a late retry never rewinds the next briefing's window."""
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO briefing_chats (chat_id, last_briefing_at) VALUES (?, ?)"
                " ON CONFLICT(chat_id) DO UPDATE SET last_briefing_at = CASE"
                " WHEN coalesce(briefing_chats.last_briefing_at, '') < excluded.last_briefing_at"
                " THEN excluded.last_briefing_at ELSE briefing_chats.last_briefing_at END",
                (chat_id, to_db(when)),
            )

    # --- subscriptions --------------------------------------------------------------
    def subscribe(
        self, chat_id: int, thread_id: int | None, request: SubscribeRequest, now: datetime
    ) -> Subscription:
        """Create or replace the subscription of a chat (thread); an explicit zone is remembered."""
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO subscriptions (chat_id, thread_id, time_of_day, timezone, keywords,"
                " status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'active', ?, ?)"
                " ON CONFLICT(chat_id, thread_id) DO UPDATE SET"
                " time_of_day = excluded.time_of_day, timezone = excluded.timezone,"
                " keywords = excluded.keywords, status = 'active', status_reason = NULL,"
                " updated_at = excluded.updated_at",
                (
                    chat_id,
                    _thread(thread_id),
                    request.time_of_day,
                    request.timezone,
                    json.dumps(request.keywords, ensure_ascii=False),
                    to_db(now),
                    to_db(now),
                ),
            )
            if request.timezone_origin == "given":
                self.set_chat_timezone(chat_id, request.timezone)
        found = self.get_for(chat_id, thread_id)
        assert found is not None
        return found

    def schedule_version(self) -> tuple[int, str, int]:
        """Changes whenever a subscription is added, removed or changed (not when a slot is
        marked handled): cheap enough to poll every few seconds."""
        row = self.db.query(
            "SELECT count(*), coalesce(max(updated_at), ''), coalesce(sum(id), 0)"
            " FROM subscriptions"
        )[0]
        return int(row[0]), str(row[1]), int(row[2])

    def get(self, subscription_id: int) -> Subscription | None:
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM subscriptions WHERE id = ?", (subscription_id,)
        )
        return _row(rows[0]) if rows else None

    def get_for(self, chat_id: int, thread_id: int | None = None) -> Subscription | None:
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM subscriptions WHERE chat_id = ? AND thread_id = ?",
            (chat_id, _thread(thread_id)),
        )
        return _row(rows[0]) if rows else None

    def find(
        self, *, chat_id: int | None = None, status: SubscriptionStatus | None = None
    ) -> list[Subscription]:
        clauses: list[str] = []
        params: list[object] = []
        if chat_id is not None:
            clauses.append("chat_id = ?")
            params.append(chat_id)
        if status is not None:
            clauses.append("status = ?")
            params.append(status.value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM subscriptions{where} ORDER BY chat_id, thread_id",
            tuple(params),
        )
        return [_row(r) for r in rows]

    def remove(self, chat_id: int, thread_id: int | None = None) -> bool:
        with self.db.transaction() as tx:
            cur = tx.execute(
                "DELETE FROM subscriptions WHERE chat_id = ? AND thread_id = ?",
                (chat_id, _thread(thread_id)),
            )
        return cur.rowcount > 0

    def set_status(
        self,
        chat_id: int,
        thread_id: int | None,
        status: SubscriptionStatus,
        now: datetime,
        reason: str | None = None,
    ) -> Subscription | None:
        """Pause, resume (slots missed while paused are not caught up) or deactivate."""
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE subscriptions SET status = ?, status_reason = ?, updated_at = ?"
                " WHERE chat_id = ? AND thread_id = ?",
                (status.value, reason, to_db(now), chat_id, _thread(thread_id)),
            )
        return self.get_for(chat_id, thread_id)

    def deactivate_chat(self, chat_id: int, reason: str, now: datetime) -> int:
        """Every subscription of a chat, e.g. when it blocked the bot."""
        with self.db.transaction() as tx:
            cur = tx.execute(
                "UPDATE subscriptions SET status = 'inactive', status_reason = ?, updated_at = ?"
                " WHERE chat_id = ? AND status != 'inactive'",
                (reason, to_db(now), chat_id),
            )
        return cur.rowcount

    def mark_slot(self, subscription_id: int, slot: datetime) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE subscriptions SET last_slot = ? WHERE id = ?"
                " AND coalesce(last_slot, '') < ?",
                (to_db(slot), subscription_id, to_db(slot)),
            )
