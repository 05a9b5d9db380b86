"""An endpoint answering 200 with a body that is not a chat completion gives the extractive
answer with a reason, plain or streamed, never an exception."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.engine import Engine
from tests.llm_helpers import corpus_engine, llm_settings
from tests.support.openai_server import FakeOpenAIServer, Reply, openai_server

__all__ = ["openai_server"]  # the fixture, imported for pytest


async def _ignore(_piece: str) -> None:
    return None


@pytest.mark.parametrize(
    "reply",
    [
        Reply.html_page(),
        Reply.html_page(content_type="application/json"),  # JSON header, HTML body
        Reply(body={"unexpected": True}),  # JSON, but not a chat completion
    ],
    ids=["html", "html-as-json", "not-a-completion"],
)
@pytest.mark.parametrize("on_delta", [None, _ignore], ids=["plain", "streamed"])
async def test_non_json_reply_falls_back_to_extractive_with_reason(
    openai_server: FakeOpenAIServer,
    tmp_path: Path,
    reply: Reply,
    on_delta: Callable[[str], Awaitable[None]] | None,
) -> None:
    engine: Engine = corpus_engine(llm_settings(tmp_path, openai_server.url), tmp_path)
    openai_server.respond_with(lambda _r: reply)
    try:
        answer = await engine.ask("What hit Ain al-Asad airbase?", on_delta=on_delta)
    finally:
        engine.close()
    assert answer.mode == "extractive"
    assert answer.fallback_reason in {"bad_reply", "empty_reply", "invalid_reply"}
    assert "drones and missiles" in answer.answer
