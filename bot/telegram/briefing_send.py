"""The transport of scheduled briefings: Telegram HTML through the flood-limited bot.

`BriefingService` calls it with a finished briefing; it reports BLOCKED when the chat is
gone for the bot (403, or the chat no longer exists) and RETRY only when nothing went out.
"""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.briefing.models import Briefing, SendOutcome
from bot.briefing.render import render_html
from bot.telegram.delivery import post_html

log = logging.getLogger(__name__)

_CHAT_GONE = ("chat not found", "bot was kicked", "user is deactivated")


class BriefingCourier:
    """The `send` callable of BriefingService; bound to the Application's bot once built."""

    def __init__(self) -> None:
        self.bot: Bot | None = None

    def bind(self, bot: Bot) -> None:
        self.bot = bot

    async def __call__(
        self, *, chat_id: int, thread_id: int | None, briefing: Briefing
    ) -> SendOutcome:
        if self.bot is None:
            raise RuntimeError("the briefing courier is not bound to a bot")
        sent = 0
        try:
            for part in render_html(briefing):
                await post_html(self.bot, chat_id, part, thread_id=thread_id)
                sent += 1
        except Forbidden as exc:
            log.warning("chat %s refuses the bot (%s)", chat_id, exc.message)
            return SendOutcome.BLOCKED
        except BadRequest as exc:
            if any(reason in exc.message.lower() for reason in _CHAT_GONE):
                log.warning("chat %s is gone (%s)", chat_id, exc.message)
                return SendOutcome.BLOCKED
            raise
        except (NetworkError, RetryAfter) as exc:
            if sent:
                raise  # part of the briefing is out: never resend it
            log.warning("briefing to chat %s not delivered (%s); will retry", chat_id, exc)
            return SendOutcome.RETRY
        return SendOutcome.SENT
