"""LLM-written story summaries: one call per story, checked like answers, else extractive.

The prompt is `prompts/briefing.md` filled by `prompting.prompt_values`; the reply has the
answer schema (sentences with passage numbers), is parsed by `bot.llm.schema` and verified by
`bot.answer.verify` against exactly the passage text the model saw. Any failure — no reply,
an unparsable one, nothing verified — returns None, and the builder keeps the story's
extractive sentences.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from bot.answer.verify import verify_sentences
from bot.briefing.prompting import PASSAGE_CHARS, prompt_values, story_passages, to_summary
from bot.briefing.summary import StoryDraft, SummarySentence
from bot.config import Settings
from bot.llm.client import LLMClient, LLMFailure
from bot.llm.prompts import Prompts
from bot.llm.schema import ReplyParseError, json_schema, parse_reply, sentence_chars
from bot.models import Passage
from bot.store.timefmt import utcnow
from bot.store.usage import UsageRepository

log = logging.getLogger(__name__)

PROMPT = "briefing.md"
USAGE_CHAT = "briefings"


def prompt_passages(draft: StoryDraft) -> list[Passage]:
    """Passage n as the prompt shows it (title, source, date, the first PASSAGE_CHARS)."""
    return [a.passage(a.text[:PASSAGE_CHARS]) for a in story_passages(draft)]


class LLMStorySummariser:
    """A `StorySummariser` over the shared LLM client, prompts and usage ledger."""

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

    async def __call__(self, draft: StoryDraft) -> list[SummarySentence] | None:
        limit = self.settings.briefing.max_sentences
        total = self.settings.llm.daily_tokens_total
        if total and self.usage is not None and self.usage.used_by_all_on(self.clock()) >= total:
            log.warning(
                "daily LLM token allowance spent; story %r stays extractive", draft.headline
            )
            return None
        prompt = self.prompts.render(PROMPT, **prompt_values(draft, limit))
        room = sentence_chars(self.settings.llm.max_completion_tokens, limit)
        schema = json_schema(limit, len(story_passages(draft)), room)
        tokens = (0, 0)
        reason: str | None = None
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
            reason = f"invalid_reply: {exc}"
        summary: list[SummarySentence] | None = None
        if reason is None:
            checked = verify_sentences(reply.sentences, prompt_passages(draft), limit=limit)
            if checked.reasons:
                log.info("briefing verification dropped: %s", "; ".join(checked.reasons))
            kept = [(s.text, s.passages) for s in checked.kept[:limit]]
            summary = to_summary(draft, kept) or None
            if summary is None:
                reason = "not_in_sources" if reply.not_in_sources else "nothing_verified"
        if reason is not None:
            log.warning("LLM summary of %r failed (%s); extractive", draft.headline, reason)
        self._record(tokens, reason)
        return summary

    def _record(self, tokens: tuple[int, int], reason: str | None) -> None:
        if self.usage is None:
            return
        self.usage.record(
            USAGE_CHAT,
            mode="briefing",
            prompt_tokens=tokens[0],
            completion_tokens=tokens[1],
            fallback_reason=reason,
            now=self.clock(),
        )
