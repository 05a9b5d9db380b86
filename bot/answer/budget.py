"""The day's LLM token allowances, checked before every model call made for a chat.

An answer and its translation are recorded in the same usage ledger under the chat's id,
so both count toward the chat's allowance (`llm.daily_tokens_per_chat`) and everyone's
(`llm.daily_tokens_total`), and both are refused by this one check once either is spent.
"""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from bot.store.usage import UsageRepository

PER_CHAT = "daily_budget"
TOTAL = "daily_budget_total"


def spent_allowance(
    settings: Settings, usage: UsageRepository, chat_id: str | None, now: datetime
) -> str | None:
    """`daily_budget` or `daily_budget_total` when that allowance is used up, else None."""
    per_chat = settings.llm.daily_tokens_per_chat
    if per_chat and usage.used_on(chat_id, now) >= per_chat:
        return PER_CHAT
    total = settings.llm.daily_tokens_total
    if total and usage.used_by_all_on(now) >= total:
        return TOTAL
    return None
