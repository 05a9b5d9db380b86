"""What every handler needs, handed to the Application once instead of imported globals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from telegram.ext import CallbackContext

from bot.config import Settings
from bot.engine import Engine
from bot.store.conversations import ConversationStore
from bot.telegram.limits import QuestionGate


@dataclass
class Services:
    engine: Engine
    settings: Settings
    conversations: ConversationStore
    gate: QuestionGate
    refused_users: set[int] = field(default_factory=set)

    @classmethod
    def create(cls, engine: Engine, settings: Settings | None = None) -> Services:
        """Wire the stores and limits from settings over the engine's database."""
        settings = settings or engine.settings
        conversations = ConversationStore(
            engine.db,
            max_turns=settings.telegram_history_turns,
            max_tokens=settings.telegram_history_tokens,
            idle=timedelta(minutes=settings.telegram_history_idle_minutes),
        )
        gate = QuestionGate(settings.telegram_rate_limit, settings.telegram_rate_window)
        return cls(engine=engine, settings=settings, conversations=conversations, gate=gate)


def services(context: CallbackContext) -> Services:
    svc = context.bot_data["services"]
    assert isinstance(svc, Services)
    return svc
