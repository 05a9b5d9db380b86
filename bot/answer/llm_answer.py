"""LLM-written answers, the compose step only: rewrite a follow-up, pack the prompt, make the
one model call and parse the draft.

The order of the steps, verification and every fallback live in `bot.answer.pipeline`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from bot.answer.followup import (
    bounded_history,
    clean_rewrite,
    heuristic_standalone,
    looks_like_followup,
)
from bot.answer.model_check import judge_sentences
from bot.answer.packing import defuse
from bot.answer.prompting import build_answer_prompt
from bot.answer.verify import VerificationResult
from bot.config import Settings
from bot.llm.client import LLMClient, LLMFailure, OnDelta
from bot.llm.prompts import Prompts
from bot.llm.schema import LLMReply, ReplyParseError, json_schema, parse_reply, sentence_chars
from bot.models import Passage, Turn, Usage

log = logging.getLogger(__name__)

CONDENSE_MAX_TOKENS = 80
UNREACHABLE = frozenset(
    {"timeout", "connection_error", "rate_limited", "server_error", "circuit_open"}
)


@dataclass
class Attempt:
    """What one question cost and learnt on the way, whatever the outcome."""

    usage: Usage = field(default_factory=Usage)
    llm_seconds: float = 0.0
    verification: VerificationResult | None = None

    def add(self, prompt_tokens: int, completion_tokens: int, seconds: float) -> None:
        self.usage.prompt_tokens += prompt_tokens
        self.usage.completion_tokens += completion_tokens
        self.llm_seconds += seconds


@dataclass
class Draft:
    """The model's parsed reply and the passages as numbered in its prompt."""

    reply: LLMReply
    passages: list[Passage]


class LLMComposer:
    """Owns the LLM client and prompts; knows nothing of retrieval or fallbacks."""

    def __init__(self, settings: Settings, *, client: LLMClient | None = None) -> None:
        self.settings = settings
        self.client = client or LLMClient(settings)
        self.prompts = Prompts(settings.llm.prompts_dir)

    async def standalone_question(
        self, question: str, history: list[Turn], attempt: Attempt
    ) -> str:
        """The LLM's rewrite of a follow-up; the offline heuristic when it fails."""
        heuristic = heuristic_standalone(question, history)
        if not history or not looks_like_followup(question):
            return question
        convo = bounded_history(history, self.settings.llm.history_tokens)
        if not convo:
            return heuristic
        try:
            reply = await self.client.complete(
                lambda _json: [
                    {
                        "role": "user",
                        "content": self.prompts.render(
                            "condense", history=defuse(convo), question=defuse(question.strip())
                        ),
                    }
                ],
                want_json=False,
                max_tokens=CONDENSE_MAX_TOKENS,
            )
        except LLMFailure as exc:
            if exc.reason in UNREACHABLE:
                raise  # the answer call would fail the same way: fall back now
            log.info("follow-up rewrite failed (%s); using the heuristic", exc.reason)
            return heuristic
        attempt.add(reply.prompt_tokens, reply.completion_tokens, reply.seconds)
        return clean_rewrite(reply.content, heuristic)

    async def compose(
        self,
        question: str,
        passages: list[Passage],
        attempt: Attempt,
        on_delta: OnDelta | None = None,
    ) -> Draft | None:
        """One model call over the passages that fit the prompt; None when none fits."""
        prompt = build_answer_prompt(
            self.prompts,
            question,
            passages,
            budget_tokens=self.settings.llm.prompt_budget,
            max_sentences=self.settings.answers.max_sentences,
        )
        if not prompt.packed:
            return None
        limit = self.settings.answers.max_sentences
        completion = await self.client.complete(
            prompt.messages,
            on_delta=on_delta,
            schema=json_schema(
                limit,
                len(prompt.packed),
                sentence_chars(self.settings.llm.max_completion_tokens, limit),
            ),
        )
        attempt.add(completion.prompt_tokens, completion.completion_tokens, completion.seconds)
        try:
            reply = parse_reply(completion.content)
        except ReplyParseError as exc:
            raise LLMFailure("invalid_reply", str(exc)) from exc
        return Draft(reply=reply, passages=[p.passage for p in prompt.packed])

    async def judge(
        self, checked: VerificationResult, passages: list[Passage], attempt: Attempt
    ) -> None:
        """The model's own check of the verified sentences (settings.llm.verify == "model")."""
        started = time.perf_counter()
        spent = await judge_sentences(self.client, self.prompts, checked, passages)
        attempt.add(*spent, time.perf_counter() - started)
