"""One LLM call whose sentences are checked like answers: the shared step of LLM-written story
summaries and timelines.

The day's token allowance for everyone together is checked first; then one completion under
the LLM deadline, its reply parsed by `bot.llm.schema`, and every sentence verified by
`bot.answer.verify` against exactly the passages it cites. The tokens and the outcome go to
the usage ledger whether or not anything was kept; any failure gives a short reason and no
result, and the caller keeps its extractive text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from bot.answer.verify import verify_sentences
from bot.config import Settings
from bot.llm.client import LLMClient, LLMFailure
from bot.llm.prompts import Prompts
from bot.llm.schema import ReplyParseError, parse_reply
from bot.models import Passage
from bot.store.timefmt import utcnow
from bot.store.usage import UsageRepository

log = logging.getLogger(__name__)

T = TypeVar("T")
# Verified sentences: (text, the passage numbers it cites).
Lines = list[tuple[str, list[int]]]


class VerifiedLLMWriter:
    """Subclasses name their ledger row (`usage_chat`, `usage_mode`) and call `write`."""

    usage_chat = ""
    usage_mode = ""

    def __init__(
        self,
        settings: Settings,
        client: LLMClient,
        prompts: Prompts,
        usage: UsageRepository | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.client = client
        self.prompts = prompts
        self.usage = usage
        self.clock = clock

    async def write(
        self,
        what: str,
        prompt: str,
        passages: list[Passage],
        accept: Callable[[Lines], T | None],
        *,
        schema: dict[str, Any] | None = None,
        limit: int | None = None,
        line_chars: int | None = None,
    ) -> tuple[T | None, str | None]:
        """(`accept` of the verified lines, None) or (None, why not). `passages[i]` is passage
        i+1 of the prompt; `accept` returns None when the lines make nothing usable.

        At most `limit` lines are kept; a line longer than `line_chars` (the schema's bound,
        which a server without structured output does not enforce) is dropped unread.
        """
        total = self.settings.llm.daily_tokens_total
        if total and self.usage is not None and self.usage.used_by_all_on(self.clock()) >= total:
            log.warning("daily LLM token allowance spent; %s stays extractive", what)
            return None, "daily_budget_total"
        tokens = (0, 0)
        reason: str | None = None
        result: T | None = None
        try:
            async with asyncio.timeout(self.settings.llm.deadline):
                completion = await self.client.complete(
                    lambda _json: [{"role": "user", "content": prompt}], schema=schema
                )
            tokens = (completion.prompt_tokens, completion.completion_tokens)
            reply = parse_reply(completion.content)
        except TimeoutError:
            reason = "deadline"
        except LLMFailure as exc:
            reason = exc.reason
        except ReplyParseError as exc:
            reason = "invalid_reply"
            log.info("%s: reply unusable: %s", what, exc)
        if reason is None:
            lines = reply.sentences
            if line_chars is not None:
                lines = [s for s in lines if len(s.text) <= line_chars]
                if len(lines) < len(reply.sentences):
                    log.info(
                        "%s: %d line(s) over %d characters dropped",
                        what,
                        len(reply.sentences) - len(lines),
                        line_chars,
                    )
            checked = verify_sentences(lines, passages, limit=limit)
            if checked.reasons:
                log.info("%s: verification dropped: %s", what, "; ".join(checked.reasons))
            result = accept([(s.text, s.passages) for s in checked.kept])
            if result is None:
                reason = "not_in_sources" if reply.not_in_sources else "nothing_verified"
        if reason is not None:
            log.warning("LLM %s failed (%s); extractive", what, reason)
        self._record(tokens, reason)
        return result, reason

    def _record(self, tokens: tuple[int, int], reason: str | None) -> None:
        if self.usage is not None:
            self.usage.record(
                self.usage_chat,
                mode=self.usage_mode,
                prompt_tokens=tokens[0],
                completion_tokens=tokens[1],
                fallback_reason=reason,
                now=self.clock(),
            )
