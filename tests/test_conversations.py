"""The conversation store: bounded history, idle expiry, chat separation, persistence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.config import Settings
from bot.store.conversations import ConversationStore
from bot.store.db import Database


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _store(db: Database, clock: Clock, **kw: int) -> ConversationStore:
    return ConversationStore(
        db,
        max_turns=kw.get("turns", 3),
        max_tokens=kw.get("tokens", 10_000),
        idle=timedelta(minutes=30),
        clock=clock,
    )


def _add(store: ConversationStore, conv: int | None, chat: int, n: int, mid: int) -> int:
    return store.add_turn(
        conv,
        chat_id=chat,
        user_id=1,
        thread_id=None,
        question=f"question {n}",
        answer=f"answer {n} " * 5,
        message_ids=[mid],
    )


def test_history_keeps_the_newest_turns_within_budgets(settings: Settings) -> None:
    clock = Clock()
    db = Database(settings.database)
    store = _store(db, clock, turns=3)
    conv = None
    for n in range(5):
        conv = _add(store, conv, 10, n, 100 + n)
    assert [t.question for t in store.history(conv)] == ["question 2", "question 3", "question 4"]
    rows = db.query("SELECT count(*) FROM conversation_turns")
    assert rows[0][0] == 3, "older turns are deleted, not just hidden"
    tight = _store(db, clock, turns=3, tokens=30)
    assert [t.question for t in tight.history(conv)] == ["question 4"]
    db.close()


def test_reply_lookup_is_per_chat_and_expires_when_idle(settings: Settings) -> None:
    clock = Clock()
    db = Database(settings.database)
    store = _store(db, clock)
    private = _add(store, None, 10, 1, 5)
    group = _add(store, None, -20, 1, 5)
    assert store.for_message(10, 5) == private
    assert store.for_message(-20, 5) == group
    assert store.for_message(-20, 6) is None
    assert store.latest(10) == private
    clock.now += timedelta(minutes=31)
    assert store.for_message(10, 5) is None and store.latest(10) is None
    assert store.expire() == 2
    db.close()


def test_conversations_survive_reopening_and_reset_by_user(settings: Settings) -> None:
    clock = Clock()
    db = Database(settings.database)
    conv = _add(_store(db, clock), None, -20, 1, 7)
    db.close()
    db = Database(settings.database)
    store = _store(db, clock)
    assert store.for_message(-20, 7) == conv
    assert store.reset(-20, user_id=999) == 0
    assert store.reset(-20, user_id=1) == 1
    assert store.for_message(-20, 7) is None
    assert db.query("SELECT count(*) FROM conversation_messages")[0][0] == 0
    db.close()
