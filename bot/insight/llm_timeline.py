"""LLM-written timelines: one call over the developments' first reports, checked like answers.

The model sees each development's first report (headline, date, opening) as a numbered
passage, writes one line per development citing them, and every line is verified by
`bot.answer.verify` against exactly the passages it cites. A line's date is the earliest
date among those passages: the model never dates anything. Any failure returns None and the
caller keeps the extractive timeline.
"""

from __future__ import annotations

import asyncio
import logging

from bot.answer.citations import SourceBook
from bot.answer.packing import defuse
from bot.answer.verify import verify_sentences
from bot.config import Settings
from bot.insight.models import Timeline, TimelineEvent
from bot.insight.timeline import Development
from bot.llm.client import LLMClient, LLMFailure
from bot.llm.prompts import Prompts
from bot.llm.schema import ReplyParseError, parse_reply
from bot.models import Passage
from bot.store.timefmt import minute_text, utcnow
from bot.store.usage import UsageRepository

log = logging.getLogger(__name__)

PROMPT = "timeline.md"
USAGE_CHAT = "timelines"
LEAD_CHARS = 400


def _passage(dev: Development) -> Passage:
    text = dev.first.text[:LEAD_CHARS]
    return dev.first.passage(f"{dev.line}\n{text}" if text else dev.line)


def _blocks(passages: list[Passage]) -> str:
    blocks = []
    for n, p in enumerate(passages, 1):
        when = minute_text(p.published_at or p.ingested_at) + " UTC"
        meta = " · ".join(x for x in (when, p.source or "") if x)
        blocks.append(
            f"<<<PASSAGE {n}>>>\n({defuse(meta)})\n{defuse(p.text)}\n<<<END PASSAGE {n}>>>"
        )
    return "\n\n".join(blocks)


class LLMTimelineWriter:
    """Rewrites an extractive timeline's developments through the shared LLM client."""

    def __init__(
        self,
        settings: Settings,
        client: LLMClient,
        prompts: Prompts,
        usage: UsageRepository | None = None,
    ) -> None:
        self.settings = settings
        self.client = client
        self.prompts = prompts
        self.usage = usage

    async def __call__(self, draft: Timeline, chosen: list[Development]) -> Timeline:
        if not chosen:
            return draft
        passages = [_passage(d) for d in chosen]
        prompt = self.prompts.render(
            PROMPT,
            topic=defuse(draft.topic),
            passages=_blocks(passages),
            max_events=len(chosen),
        )
        tokens = (0, 0)
        reason: str | None = None
        timeline: Timeline | None = None
        try:
            async with asyncio.timeout(self.settings.llm.deadline):
                completion = await self.client.complete(
                    lambda _json: [{"role": "user", "content": prompt}]
                )
            tokens = (completion.prompt_tokens, completion.completion_tokens)
            reply = parse_reply(completion.content)
        except TimeoutError:
            reason = "deadline"
        except LLMFailure as exc:
            reason = exc.reason
        except ReplyParseError as exc:
            reason = "invalid_reply"
            log.info("timeline reply unusable: %s", exc)
        if reason is None:
            checked = verify_sentences(reply.sentences, passages)
            if checked.reasons:
                log.info("timeline verification dropped: %s", "; ".join(checked.reasons))
            timeline = _written(draft, chosen, [(s.text, s.passages) for s in checked.kept])
            if timeline is None:
                reason = "not_in_sources" if reply.not_in_sources else "nothing_verified"
        self._record(tokens, reason)
        if timeline is None:
            log.warning("LLM timeline of %r failed (%s); extractive", draft.topic, reason)
            return draft.model_copy(update={"fallback_reason": reason})
        return timeline

    def _record(self, tokens: tuple[int, int], reason: str | None) -> None:
        if self.usage is not None:
            self.usage.record(
                USAGE_CHAT,
                mode="timeline",
                prompt_tokens=tokens[0],
                completion_tokens=tokens[1],
                fallback_reason=reason,
                now=utcnow(),
            )


def _written(
    draft: Timeline, chosen: list[Development], lines: list[tuple[str, list[int]]]
) -> Timeline | None:
    """Verified lines dated by their earliest cited report, oldest first, renumbered."""
    dated = []
    for text, numbers in lines:
        devs = [chosen[n - 1] for n in numbers if 1 <= n <= len(chosen)]
        if devs and text.strip():
            first = min(devs, key=lambda d: (d.first.when, d.first.id))
            dated.append((first.first.when, text.strip(), devs))
    if not dated:
        return None
    dated.sort(key=lambda item: item[0])
    book = SourceBook()
    events = []
    for when, text, devs in dated:
        cites = list(dict.fromkeys(book.cite(_passage(d)) for d in devs))
        outlets = set().union(*(d.outlets for d in devs))
        events.append(
            TimelineEvent(
                date=when.date(),
                at=when,
                text=text,
                citations=cites,
                more_outlets=max(len(outlets) - len(devs), 0),
            )
        )
    return draft.model_copy(
        update={"mode": "llm", "events": events, "sources": book.sources(), "fallback_reason": None}
    )
