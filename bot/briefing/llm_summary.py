"""LLM-written story summaries: one call per story, checked like answers, else extractive.

The prompt is `prompts/briefing.md` filled by `prompting.prompt_values`; the reply has the
answer schema (sentences with passage numbers) and is parsed and verified by
`VerifiedLLMWriter` against exactly the passage text the model saw. Any failure — daily
allowance spent, no reply, an unparsable one, nothing verified — returns None, and the
builder keeps the story's extractive sentences.
"""

from __future__ import annotations

from bot.briefing.llm_writer import VerifiedLLMWriter
from bot.briefing.prompting import PASSAGE_CHARS, prompt_values, story_passages, to_summary
from bot.briefing.summary import StoryDraft, SummarySentence
from bot.llm.schema import json_schema, sentence_chars
from bot.models import Passage

PROMPT = "briefing.md"


def prompt_passages(draft: StoryDraft) -> list[Passage]:
    """Passage n as the prompt shows it (title, source, date, the first PASSAGE_CHARS)."""
    return [a.passage(a.text[:PASSAGE_CHARS]) for a in story_passages(draft)]


class LLMStorySummariser(VerifiedLLMWriter):
    """A `StorySummariser` over the shared LLM client, prompts and usage ledger."""

    usage_chat = "briefings"
    usage_mode = "briefing"

    async def __call__(self, draft: StoryDraft) -> list[SummarySentence] | None:
        limit = self.settings.briefing.max_sentences
        room = sentence_chars(self.settings.llm.max_completion_tokens, limit)
        summary, _ = await self.write(
            f"summary of {draft.headline!r}",
            self.prompts.render(PROMPT, **prompt_values(draft, limit)),
            prompt_passages(draft),
            lambda lines: to_summary(draft, lines) or None,
            schema=json_schema(limit, len(story_passages(draft)), room),
            limit=limit,
        )
        return summary
