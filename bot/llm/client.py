"""A thin wrapper over `openai.AsyncOpenAI`: bounded retries, JSON mode when the server has it,
streaming drafts, token usage, and failures reduced to one short reason.

Retries and `retry-after` are the openai client's own (`max_retries`); the overall answer
deadline is enforced by the caller around the whole LLM path.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import openai
from openai.types.chat import ChatCompletion

from bot.config import Settings
from bot.llm.breaker import CircuitBreaker
from bot.llm.schema import draft_text, json_schema, prose_draft
from bot.text.tokens import count_tokens

if TYPE_CHECKING:
    from bot.metrics import Metrics

log = logging.getLogger(__name__)

Messages = list[dict[str, str]]
# Failures that say the endpoint is down or overloaded (they open the circuit breaker).
ENDPOINT_DOWN = frozenset({"timeout", "connection_error", "rate_limited", "server_error"})
OnDelta = Callable[[str], Awaitable[None]]


class LLMFailure(Exception):
    """The model could not produce a reply; `reason` is a short code for `fallback_reason`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass
class Completion:
    content: str
    prompt_tokens: int
    completion_tokens: int
    json_mode: bool
    seconds: float


def make_openai(settings: Settings) -> openai.AsyncOpenAI:
    key = settings.llm.key or "not-needed"
    return openai.AsyncOpenAI(
        api_key=key,
        base_url=settings.llm.base_url or None,
        timeout=settings.llm.timeout,
        max_retries=settings.llm.max_retries,
    )


class LLMClient:
    """One chat-completions call per `complete`; remembers whether the server has JSON mode.

    Answers and briefings share one client, so they share its circuit breaker: while it is
    open every call fails at once with `circuit_open`.
    """

    def __init__(
        self,
        settings: Settings,
        client: openai.AsyncOpenAI | None = None,
        *,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.client = client or make_openai(settings)
        self.json_supported: bool | None = None
        self.breaker = CircuitBreaker(settings.llm.circuit_failures, settings.llm.circuit_seconds)
        self.metrics = metrics
        if metrics is not None:
            metrics.llm_circuit_open.set_function(lambda: float(self.breaker.is_open()))

    async def close(self) -> None:
        await self.client.close()

    async def complete(
        self,
        build: Callable[[bool], Messages],
        *,
        want_json: bool = True,
        on_delta: OnDelta | None = None,
        max_tokens: int | None = None,
        schema: dict[str, Any] | None = None,
    ) -> Completion:
        """Call the model with `build(json_mode)`; on a 400/422 to structured output, retry
        in plain text, and remember the server lacks JSON mode once plain text works.

        `schema` is the `response_format` (default: the answer schema with generous bounds).
        """
        if not self.breaker.allow():
            self._count_failure("circuit_open")
            raise LLMFailure("circuit_open")
        try:
            completion = await self._complete(build, want_json, on_delta, max_tokens, schema)
        except LLMFailure as exc:
            if exc.reason in ENDPOINT_DOWN:
                self.breaker.failed()
            else:
                self.breaker.succeeded()  # it answered, if badly
            self._count_failure(exc.reason)
            raise
        except asyncio.CancelledError:  # the caller's deadline ran out while waiting
            self.breaker.failed()
            self._count_failure("deadline")
            raise
        self.breaker.succeeded()
        if self.metrics is not None:
            self.metrics.llm_call(
                completion.prompt_tokens, completion.completion_tokens, completion.seconds
            )
        return completion

    def _count_failure(self, reason: str) -> None:
        if self.metrics is not None:
            self.metrics.llm_failure(reason)

    async def _complete(
        self,
        build: Callable[[bool], Messages],
        want_json: bool,
        on_delta: OnDelta | None,
        max_tokens: int | None,
        schema: dict[str, Any] | None,
    ) -> Completion:
        json_mode = want_json and self.json_supported is not False
        try:
            response_format = (schema or json_schema()) if json_mode else None
            return await self._call(build(json_mode), response_format, on_delta, max_tokens)
        except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
            if not json_mode:
                raise LLMFailure("bad_request", _status_text(exc)) from exc
            log.info("server refused structured output (%s); trying plain text", exc.status_code)
        try:
            completion = await self._call(build(False), None, on_delta, max_tokens)
        except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
            raise LLMFailure("bad_request", _status_text(exc)) from exc
        self.json_supported = False
        return completion

    async def _call(
        self,
        messages: Messages,
        response_format: dict[str, Any] | None,
        on_delta: OnDelta | None,
        max_tokens: int | None,
    ) -> Completion:
        json_mode = response_format is not None
        kwargs: dict[str, Any] = {
            "model": self.settings.llm.model,
            "messages": messages,
            "max_tokens": max_tokens or self.settings.llm.max_completion_tokens,
            "temperature": self.settings.llm.temperature,
        }
        if response_format is not None:
            kwargs["response_format"] = response_format
        started = time.perf_counter()
        try:
            if on_delta is None:
                content, usage = await self._plain(kwargs)
            else:
                content, usage = await self._streamed(kwargs, json_mode, on_delta)
        except (openai.BadRequestError, openai.UnprocessableEntityError):
            raise
        except openai.APITimeoutError as exc:
            raise LLMFailure("timeout") from exc
        except openai.APIConnectionError as exc:
            raise LLMFailure("connection_error") from exc
        except openai.RateLimitError as exc:
            raise LLMFailure("rate_limited") from exc
        except openai.APIStatusError as exc:
            reason = "server_error" if exc.status_code >= 500 else f"http_{exc.status_code}"
            raise LLMFailure(reason, _status_text(exc)) from exc
        except openai.APIError as exc:
            raise LLMFailure("bad_reply", type(exc).__name__) from exc
        except ValueError as exc:  # a 200 whose body is not JSON (a proxy's HTML error page)
            raise LLMFailure("bad_reply", "the reply is not JSON") from exc
        if json_mode:
            self.json_supported = True
        prompt_tokens, completion_tokens = usage or (
            sum(count_tokens(m["content"]) + 4 for m in messages),
            count_tokens(content),
        )
        return Completion(
            content, prompt_tokens, completion_tokens, json_mode, time.perf_counter() - started
        )

    async def _plain(self, kwargs: dict[str, Any]) -> tuple[str, tuple[int, int] | None]:
        response = await self.client.chat.completions.create(**kwargs)
        # openai hands back the body as text when it is not served as JSON
        if not isinstance(response, ChatCompletion):
            raise LLMFailure("bad_reply", "the reply is not a chat completion")
        if not response.choices:
            raise LLMFailure("empty_reply")
        content = response.choices[0].message.content or ""
        usage = response.usage
        return content, (usage.prompt_tokens, usage.completion_tokens) if usage else None

    async def _streamed(
        self, kwargs: dict[str, Any], json_mode: bool, on_delta: OnDelta
    ) -> tuple[str, tuple[int, int] | None]:
        stream = await self.client.chat.completions.create(
            **kwargs, stream=True, stream_options={"include_usage": True}
        )
        content = ""
        shown = ""
        usage: tuple[int, int] | None = None
        async for chunk in stream:
            if chunk.usage is not None:
                usage = (chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
            if not chunk.choices:
                continue
            piece = chunk.choices[0].delta.content or ""
            if not piece:
                continue
            content += piece
            draft = draft_text(content) if json_mode else prose_draft(content)
            if draft.startswith(shown) and len(draft) > len(shown):
                await on_delta(draft[len(shown) :])
                shown = draft
        return content, usage


def _status_text(exc: openai.APIStatusError) -> str:
    return f"HTTP {exc.status_code}"
