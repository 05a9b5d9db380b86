"""Follow-up context for chats: conversations, their turns, and the bot messages that belong
to them, so a reply to any of the bot's messages continues the right conversation after a
restart. Each conversation lives in one chat; lookups are always keyed by chat id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from bot.models import Turn
from bot.store.db import DB
from bot.store.timefmt import to_db, utcnow
from bot.text.tokens import count_tokens

Clock = Callable[[], datetime]


class ConversationStore:
    """Bounded, expiring conversation memory over the shared database."""

    def __init__(
        self,
        db: DB,
        *,
        max_turns: int,
        max_tokens: int,
        idle: timedelta,
        clock: Clock = utcnow,
    ) -> None:
        self.db = db
        self.max_turns = max_turns
        self.max_tokens = max_tokens
        self.idle = idle
        self.clock = clock

    def _fresh_since(self) -> str:
        return to_db(self.clock() - self.idle) or ""

    def for_message(self, chat_id: int, message_id: int) -> int | None:
        """The live conversation a bot message of this chat belongs to, if any."""
        rows = self.db.query(
            "SELECT c.id FROM conversation_messages m "
            "JOIN conversations c ON c.id = m.conversation_id "
            "WHERE m.chat_id = ? AND m.message_id = ? AND c.chat_id = ? AND c.updated_at >= ?",
            (chat_id, message_id, chat_id, self._fresh_since()),
        )
        return int(rows[0][0]) if rows else None

    def latest(self, chat_id: int) -> int | None:
        """The most recent live conversation of a chat (private chats continue it)."""
        rows = self.db.query(
            "SELECT id FROM conversations WHERE chat_id = ? AND updated_at >= ? "
            "ORDER BY updated_at DESC, id DESC LIMIT 1",
            (chat_id, self._fresh_since()),
        )
        return int(rows[0][0]) if rows else None

    def history(self, conversation_id: int | None) -> list[Turn]:
        """The newest turns, oldest first, within the turn and token budgets."""
        if conversation_id is None or self.max_turns == 0:
            return []
        rows = self.db.query(
            "SELECT question, answer, tokens FROM conversation_turns "
            "WHERE conversation_id = ? ORDER BY id DESC LIMIT ?",
            (conversation_id, self.max_turns),
        )
        turns: list[Turn] = []
        budget = self.max_tokens
        for question, answer, tokens in rows:
            if tokens > budget:
                break
            budget -= tokens
            turns.append(Turn(question=question, answer=answer))
        turns.reverse()
        return turns

    def add_turn(
        self,
        conversation_id: int | None,
        *,
        chat_id: int,
        user_id: int | None,
        thread_id: int | None,
        question: str,
        answer: str,
        message_ids: Iterable[int],
    ) -> int:
        """Record a question and its answer (starting a conversation when needed)."""
        now = to_db(self.clock())
        tokens = count_tokens(question) + count_tokens(answer)
        with self.db.transaction() as tx:
            if conversation_id is None:
                conversation_id = tx.execute(
                    "INSERT INTO conversations (chat_id, user_id, thread_id, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                    (chat_id, user_id, thread_id, now, now),
                ).fetchone()[0]
            else:
                tx.execute(
                    "UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id)
                )
            tx.execute(
                "INSERT INTO conversation_turns (conversation_id, question, answer, tokens, "
                "created_at) VALUES (?, ?, ?, ?, ?)",
                (conversation_id, question, answer, tokens, now),
            )
            tx.execute(
                "DELETE FROM conversation_turns WHERE conversation_id = ? AND id NOT IN "
                "(SELECT id FROM conversation_turns WHERE conversation_id = ? "
                "ORDER BY id DESC LIMIT ?)",
                (conversation_id, conversation_id, max(self.max_turns, 1)),
            )
            tx.executemany(
                "INSERT INTO conversation_messages (chat_id, message_id, conversation_id)"
                " VALUES (?, ?, ?) ON CONFLICT (chat_id, message_id)"
                " DO UPDATE SET conversation_id = excluded.conversation_id",
                [(chat_id, mid, conversation_id) for mid in message_ids],
            )
        return conversation_id

    def reset(self, chat_id: int, user_id: int | None = None) -> int:
        """Forget a chat's conversations (only those a user started, when given)."""
        sql = "DELETE FROM conversations WHERE chat_id = ?"
        params: tuple = (chat_id,)
        if user_id is not None:
            sql += " AND user_id = ?"
            params = (chat_id, user_id)
        with self.db.transaction() as tx:
            return tx.execute(sql, params).rowcount

    def expire(self) -> int:
        """Delete conversations idle for longer than the expiry; returns how many."""
        with self.db.transaction() as tx:
            return tx.execute(
                "DELETE FROM conversations WHERE updated_at < ?", (self._fresh_since(),)
            ).rowcount
