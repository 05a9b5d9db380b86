"""LLM-written answers: condense → retrieve → pack → one model call → verify → answer.

Every failure (timeout, 429, 5xx, unparsable reply, nothing verified, over budget) ends in
the extractive answer with `fallback_reason`; the whole LLM path runs under one deadline.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.answer.citations import SourceBook, abstention_text, answer_text
from bot.answer.extractive import extractive_answer
from bot.answer.followup import (
    bounded_history,
    clean_rewrite,
    heuristic_standalone,
    looks_like_followup,
)
from bot.answer.packing import defuse
from bot.answer.prompting import build_answer_prompt
from bot.answer.verify import VerificationResult, verify_sentences
from bot.config import Settings
from bot.llm.client import LLMClient, LLMFailure, OnDelta
from bot.llm.prompts import Prompts
from bot.llm.schema import ReplyParseError, parse_reply
from bot.models import Answer, AnswerSentence, Passage, SearchFilters, Turn, Usage
from bot.retrieval.bm25 import SearchResult
from bot.store.usage import UsageRepository

log = logging.getLogger(__name__)

Search = Callable[[str, int, SearchFilters | None], SearchResult]
PACK_CANDIDATES = 20
CONDENSE_MAX_TOKENS = 80
BUDGET_NOTE = (
    "This chat has used today's allowance for AI-written answers, so here are the most "
    "relevant passages from the sources instead."
)
TOTAL_BUDGET_NOTE = (
    "The bot has used today's allowance for AI-written answers, so here are the most "
    "relevant passages from the sources instead."
)
NOT_IN_SOURCES = "not_in_sources"
UNCITED_MARK = "(uncited)"
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


class LLMAnswerer:
    """Owns the LLM client, prompts and usage ledger; the engine hands in `search`."""

    def __init__(
        self,
        settings: Settings,
        search: Search,
        usage: UsageRepository,
        *,
        client: LLMClient | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.search = search
        self.usage = usage
        self.client = client or LLMClient(settings)
        self.prompts = Prompts(settings.llm.prompts_dir)
        self.clock = clock
        self.last_attempt = Attempt()

    async def answer(
        self,
        question: str,
        *,
        k: int | None = None,
        filters: SearchFilters | None = None,
        history: list[Turn] | None = None,
        chat_id: str | None = None,
        on_delta: OnDelta | None = None,
    ) -> Answer:
        attempt = self.last_attempt = Attempt()
        history = history or []
        now = self.clock()
        spent = self._spent_budget(chat_id, now)
        if spent is not None:
            reason, note = spent
            answer = await self._fallback(question, history, k, filters, reason)
            if not answer.abstained:
                answer.note = note
            return answer
        if self.client.breaker.is_open():  # the endpoint failed again and again: don't wait
            return await self._fallback(question, history, k, filters, "circuit_open")
        try:
            async with asyncio.timeout(self.settings.llm.deadline):
                answer = await self._llm_answer(question, k, filters, history, on_delta, attempt)
        except TimeoutError:
            answer = await self._fallback(question, history, k, filters, "deadline")
        except LLMFailure as exc:
            log.warning("LLM answer failed (%s); falling back to extractive", exc.reason)
            answer = await self._fallback(question, history, k, filters, exc.reason)
        answer.usage = attempt.usage
        if attempt.verification is not None:
            answer.verification = attempt.verification.counts
        self.usage.record(
            chat_id,
            mode=answer.mode,
            prompt_tokens=attempt.usage.prompt_tokens,
            completion_tokens=attempt.usage.completion_tokens,
            fallback_reason=answer.fallback_reason,
            now=now,
        )
        return answer

    def _spent_budget(self, chat_id: str | None, now: datetime) -> tuple[str, str] | None:
        """(fallback reason, note) when the chat's or everyone's daily tokens are used up."""
        per_chat = self.settings.llm.daily_tokens_per_chat
        if per_chat and self.usage.used_on(chat_id, now) >= per_chat:
            return "daily_budget", BUDGET_NOTE
        total = self.settings.llm.daily_tokens_total
        if total and self.usage.used_by_all_on(now) >= total:
            return "daily_budget_total", TOTAL_BUDGET_NOTE
        return None

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

    async def _llm_answer(
        self,
        question: str,
        k: int | None,
        filters: SearchFilters | None,
        history: list[Turn],
        on_delta: OnDelta | None,
        attempt: Attempt,
    ) -> Answer:
        standalone = await self.standalone_question(question, history, attempt)
        # retrieval is CPU and SQLite work (and maybe an embeddings call): off the event loop
        result = await asyncio.to_thread(
            self.search, standalone, max(k or self.settings.answers.top_k, PACK_CANDIDATES), filters
        )
        best = max((p.coverage for p in result.passages), default=0.0)
        if best < self.settings.llm.min_coverage:
            answer = self._extractive_from(question, standalone, result, k)
            return answer.model_copy(update={"fallback_reason": "no_relevant_passages"})
        prompt = build_answer_prompt(
            self.prompts,
            standalone,
            result.passages,
            budget_tokens=self.settings.llm.prompt_budget,
            max_sentences=self.settings.answers.max_sentences,
        )
        if not prompt.packed:
            answer = self._extractive_from(question, standalone, result, k)
            return answer.model_copy(update={"fallback_reason": "prompt_budget"})
        completion = await self.client.complete(prompt.messages, on_delta=on_delta)
        attempt.add(completion.prompt_tokens, completion.completion_tokens, completion.seconds)
        try:
            reply = parse_reply(completion.content)
        except ReplyParseError as exc:
            raise LLMFailure("invalid_reply", str(exc)) from exc
        passages = [p.passage for p in prompt.packed]
        checked = verify_sentences(
            reply.sentences, passages, keep_uncited=self.settings.llm.keep_uncited
        )
        attempt.verification = checked
        if checked.reasons:
            log.info("verification dropped: %s", "; ".join(checked.reasons))
        if not any(not s.uncited for s in checked.kept):
            reason = NOT_IN_SOURCES if reply.not_in_sources else "nothing_verified"
            extractive = self._extractive_from(question, standalone, result, k)
            return self._settle(question, standalone, extractive, reason, reply.not_in_sources)
        return _cited_answer(question, standalone, checked, passages)

    def _settle(
        self, question: str, standalone: str, extractive: Answer, reason: str, said_absent: bool
    ) -> Answer:
        """The extractive answer when it is confident, else an honest abstention."""
        if not extractive.abstained:
            return extractive.model_copy(update={"fallback_reason": reason})
        return Answer(
            question=question,
            answer=abstention_text(question),
            abstained=True,
            mode="llm" if said_absent else "extractive",
            standalone_question=standalone if standalone != question else None,
            fallback_reason=None if said_absent else reason,
        )

    async def _fallback(
        self,
        question: str,
        history: list[Turn],
        k: int | None,
        filters: SearchFilters | None,
        reason: str,
    ) -> Answer:
        standalone = heuristic_standalone(question, history)
        answer = await asyncio.to_thread(self._extractive, question, standalone, k, filters)
        return answer.model_copy(update={"fallback_reason": reason})

    def _extractive(
        self, question: str, standalone: str, k: int | None, filters: SearchFilters | None
    ) -> Answer:
        result = self.search(standalone, k or self.settings.answers.top_k, filters)
        return self._extractive_from(question, standalone, result, k)

    def _extractive_from(
        self, question: str, standalone: str, result: SearchResult, k: int | None
    ) -> Answer:
        top = result.passages[: k or self.settings.answers.top_k]
        answer = extractive_answer(
            question,
            SearchResult(query=result.query, passages=top),
            threshold=self.settings.answers.abstain_threshold,
            max_sentences=self.settings.answers.max_sentences,
        )
        if standalone != question:
            answer.standalone_question = standalone
        return answer


def _cited_answer(
    question: str, standalone: str, checked: VerificationResult, passages: list[Passage]
) -> Answer:
    """Passage numbers become article numbers, in order of first citation."""
    book = SourceBook()
    sentences = []
    for s in checked.kept:
        cites = list(dict.fromkeys(book.cite(passages[n - 1]) for n in s.passages))
        text = f"{s.text} {UNCITED_MARK}" if s.uncited else s.text
        sentences.append(AnswerSentence(text=text, citations=cites))
    return Answer(
        question=question,
        answer=answer_text(sentences),
        abstained=False,
        mode="llm",
        sentences=sentences,
        sources=book.sources(),
        standalone_question=standalone if standalone != question else None,
    )
