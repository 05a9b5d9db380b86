"""LLM-written timelines: one call over the developments' first reports, checked like answers.

The model sees each development's first report (headline, date, opening) as a numbered
passage, writes one line per development citing them, and every line is verified (by
`VerifiedLLMWriter`, like story summaries) against exactly the passages it cites. A line's
date is the earliest date among those passages: the model never dates anything. The reply
schema is bounded like an answer's (one line per development at most, each line short, only
supplied passage numbers), and the same bounds are enforced on whatever comes back. Any
failure returns the extractive timeline with its `fallback_reason`.
"""

from __future__ import annotations

from bot.answer.citations import SourceBook
from bot.answer.packing import defuse
from bot.briefing.llm_writer import VerifiedLLMWriter
from bot.insight.models import Timeline, TimelineEvent
from bot.insight.timeline import Development
from bot.llm.schema import json_schema, sentence_chars
from bot.models import Passage
from bot.store.timefmt import minute_text

PROMPT = "timeline.md"
LEAD_CHARS = 400
LINE_CHARS = 160  # one short line per development


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


class LLMTimelineWriter(VerifiedLLMWriter):
    """Rewrites an extractive timeline's developments through the shared LLM client."""

    usage_chat = "timelines"
    usage_mode = "timeline"

    async def __call__(self, draft: Timeline, chosen: list[Development]) -> Timeline:
        if not chosen:
            return draft
        passages = [_passage(d) for d in chosen]
        limit = len(chosen)
        room = min(LINE_CHARS, sentence_chars(self.settings.llm.max_completion_tokens, limit))
        prompt = self.prompts.render(
            PROMPT,
            topic=defuse(draft.topic),
            passages=_blocks(passages),
            max_events=limit,
            line_chars=room,
        )
        timeline, reason = await self.write(
            f"timeline of {draft.topic!r}",
            prompt,
            passages,
            lambda lines: _written(draft, chosen, lines),
            schema=json_schema(limit, len(passages), room),
            limit=limit,
            line_chars=room,
        )
        return timeline or draft.model_copy(update={"fallback_reason": reason})


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
