"""The answer prompt: system rules + numbered passage blocks + the question, within budget."""

from __future__ import annotations

from dataclasses import dataclass

from bot.answer.packing import PackedPassage, defuse, pack_passages, render_blocks
from bot.llm.client import Messages
from bot.llm.prompts import Prompts
from bot.models import Passage
from bot.text.tokens import count_tokens

MESSAGE_OVERHEAD_TOKENS = 4

JSON_FORMAT = (
    'Reply with JSON only: {"sentences": [{"text": "One sentence.", "citations": [1]}], '
    '"not_in_sources": false}. If the passages do not answer the question, reply '
    '{"sentences": [], "not_in_sources": true}.'
)
PLAIN_FORMAT = (
    "Reply in plain text: the sentences only, each ending with its markers such as [1]. "
    "If the passages do not answer the question, reply exactly: NOT IN SOURCES"
)


@dataclass
class AnswerPrompt:
    packed: list[PackedPassage]
    system: str
    question: str
    max_sentences: int
    prompts: Prompts

    def messages(self, json_mode: bool) -> Messages:
        user = self.prompts.render(
            "answer",
            passages=render_blocks(self.packed),
            question=defuse(self.question.strip()),
            max_sentences=self.max_sentences,
            format=JSON_FORMAT if json_mode else PLAIN_FORMAT,
        )
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]

    def tokens(self, json_mode: bool = True) -> int:
        return sum(
            count_tokens(m["content"]) + MESSAGE_OVERHEAD_TOKENS for m in self.messages(json_mode)
        )


def build_answer_prompt(
    prompts: Prompts,
    question: str,
    passages: list[Passage],
    *,
    budget_tokens: int,
    max_sentences: int,
) -> AnswerPrompt:
    """Instructions and question are paid for first; passages fill what is left."""
    system = prompts.render("system", max_sentences=max_sentences)
    empty = AnswerPrompt([], system, question, max_sentences, prompts)
    fixed = max(empty.tokens(True), empty.tokens(False))
    packed = pack_passages(passages, budget_tokens - fixed)
    return AnswerPrompt(packed, system, question, max_sentences, prompts)
