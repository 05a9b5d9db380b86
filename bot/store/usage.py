"""Token usage per answer, and the per-chat daily totals that budgets are checked against."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.store.db import DB
from bot.store.timefmt import to_db

CLI_CHAT = "cli"


class UsageRepository:
    def __init__(self, db: DB) -> None:
        self.db = db

    def record(
        self,
        chat_id: str | None,
        *,
        mode: str,
        prompt_tokens: int,
        completion_tokens: int,
        fallback_reason: str | None,
        now: datetime,
    ) -> None:
        when = now.astimezone(UTC)
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO llm_usage (chat_id, day, created_at, mode, prompt_tokens,"
                " completion_tokens, fallback_reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    chat_id or CLI_CHAT,
                    when.date().isoformat(),
                    to_db(when),
                    mode,
                    prompt_tokens,
                    completion_tokens,
                    fallback_reason,
                ),
            )

    def used_on(self, chat_id: str | None, now: datetime) -> int:
        """Tokens (prompt + completion) the chat used on `now`'s UTC day."""
        rows = self.db.query(
            "SELECT coalesce(sum(prompt_tokens + completion_tokens), 0) FROM llm_usage"
            " WHERE chat_id = ? AND day = ?",
            (chat_id or CLI_CHAT, now.astimezone(UTC).date().isoformat()),
        )
        return int(rows[0][0])

    def used_by_all_on(self, now: datetime) -> int:
        """Tokens every chat (and briefings) used together on `now`'s UTC day."""
        rows = self.db.query(
            "SELECT coalesce(sum(prompt_tokens + completion_tokens), 0) FROM llm_usage"
            " WHERE day = ?",
            (now.astimezone(UTC).date().isoformat(),),
        )
        return int(rows[0][0])
