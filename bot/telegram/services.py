"""What every handler needs, handed to the Application once instead of imported globals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from telegram.ext import CallbackContext

from bot.briefing.service import BriefingService, Clock
from bot.config import Settings
from bot.engine import Engine
from bot.ops.heartbeat import Heartbeat
from bot.store.timefmt import utcnow
from bot.telegram.briefing_send import BriefingCourier
from bot.telegram.limits import QuestionGate

if TYPE_CHECKING:
    from bot.store.conversations import ConversationStore


@dataclass
class Services:
    engine: Engine
    settings: Settings
    conversations: ConversationStore
    gate: QuestionGate
    briefings: BriefingService
    courier: BriefingCourier
    refused_users: set[int] = field(default_factory=set)
    heartbeat: Heartbeat | None = None

    @classmethod
    def create(
        cls, engine: Engine, settings: Settings | None = None, *, clock: Clock = utcnow
    ) -> Services:
        """Wire the stores and limits from settings over the engine's database.

        `clock` drives briefing schedules (tests pass an emulated one); the courier is bound
        to the bot by `build_application`.
        """
        settings = settings or engine.settings
        conversations = engine.conversation_memory(
            max_turns=settings.telegram.history_turns,
            max_tokens=settings.telegram.history_tokens,
            idle=timedelta(minutes=settings.telegram.history_idle_minutes),
        )
        gate = QuestionGate(settings.telegram.rate_limit, settings.telegram.rate_window)
        courier = BriefingCourier()
        briefings = engine.briefing_service(courier, settings=settings, clock=clock)
        return cls(
            engine=engine,
            settings=settings,
            conversations=conversations,
            gate=gate,
            briefings=briefings,
            courier=courier,
        )


def services(context: CallbackContext) -> Services:
    svc = context.bot_data["services"]
    assert isinstance(svc, Services)
    return svc
