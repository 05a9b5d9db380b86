"""LLM answers end to end: real openai client → loopback OpenAI-compatible server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.engine import Engine
from tests.llm_helpers import (
    INJECTION,
    cited,
    corpus_engine,
    llm_settings,
    passage_blocks,
    passage_with,
)
from tests.support.openai_server import FakeOpenAIServer, Reply, Request, openai_server

__all__ = ["openai_server"]  # the fixture, imported for pytest

DRONES = "barrage of drones and missiles"
MARINES = "2,000 Marines"
FAST_RETRY = {"retry-after-ms": "10"}


@pytest.fixture
def llm_engine(openai_server: FakeOpenAIServer, tmp_path: Path) -> Iterator[Engine]:
    engine = corpus_engine(llm_settings(tmp_path, openai_server.url), tmp_path)
    yield engine
    engine.close()


def good_reply(request: Request) -> Reply:
    drones = passage_with(request, DRONES)
    marines = passage_with(request, MARINES)
    return Reply(
        content=cited(
            ("A barrage of drones and missiles struck the Ain al-Asad airbase.", [drones]),
            ("The US sent two aircraft carriers and around 2,000 Marines.", [marines]),
        )
    )


async def test_good_cited_answer_is_verified_and_usage_recorded(
    llm_engine: Engine, openai_server: FakeOpenAIServer
) -> None:
    openai_server.respond_with(good_reply)
    answer = await llm_engine.ask("What hit Ain al-Asad airbase?", chat_id="42")
    assert answer.mode == "llm"
    assert answer.fallback_reason is None
    assert not answer.abstained
    assert answer.verification is not None
    assert (answer.verification.sentences_kept, answer.verification.sentences_dropped) == (2, 0)
    assert [s.citations for s in answer.sentences] == [[1], [1]]
    assert answer.answer.startswith("A barrage of drones and missiles struck")
    assert "[1]" in answer.answer
    assert answer.sources[0].title.startswith("US troops attacked")
    assert answer.usage is not None and answer.usage.prompt_tokens > 100
    assert llm_engine.usage.used_on("42", time_now()) == (
        answer.usage.prompt_tokens + answer.usage.completion_tokens
    )
    request = openai_server.requests[0]
    assert request.body["model"] == "fake-model"
    assert request.headers["authorization"] == "Bearer sk-test-secret-key"
    assert request.body["response_format"]["type"] == "json_schema"


def time_now() -> datetime:
    return datetime.now(UTC)


async def test_citation_to_missing_passage_is_removed_and_its_sentence_dropped(
    llm_engine: Engine, openai_server: FakeOpenAIServer
) -> None:
    def reply(request: Request) -> Reply:
        drones = passage_with(request, DRONES)
        return Reply(
            content=cited(
                ("A barrage of drones and missiles struck the Ain al-Asad airbase.", [drones, 99]),
                ("Several soldiers were evacuated from the base by helicopter.", [42]),
            )
        )

    openai_server.respond_with(reply)
    answer = await llm_engine.ask("What hit Ain al-Asad airbase?")
    assert answer.mode == "llm"
    assert answer.verification is not None
    assert answer.verification.citations_removed == 2
    assert answer.verification.sentences_dropped == 1
    assert answer.verification.sentences_kept == 1
    assert "helicopter" not in answer.answer
    assert [s.citations for s in answer.sentences] == [[1]]


async def test_sentence_with_number_missing_from_its_passage_is_dropped(
    llm_engine: Engine, openai_server: FakeOpenAIServer
) -> None:
    def reply(request: Request) -> Reply:
        marines = passage_with(request, MARINES)
        return Reply(
            content=cited(
                ("The US deployed around 5,000 Marines to the region.", [marines]),
                ("The US sent two aircraft carriers and around 2,000 Marines.", [marines]),
            )
        )

    openai_server.respond_with(reply)
    answer = await llm_engine.ask("How many Marines were deployed?")
    assert answer.mode == "llm"
    assert answer.verification is not None
    assert (answer.verification.sentences_kept, answer.verification.sentences_dropped) == (1, 1)
    assert "5,000" not in answer.answer
    assert "2,000 Marines" in answer.answer


async def test_prompt_injection_stays_in_its_data_block_and_obeying_it_fails(
    llm_engine: Engine, openai_server: FakeOpenAIServer
) -> None:
    def obey(request: Request) -> Reply:
        n = passage_with(request, INJECTION)
        return Reply(content=cited(("HACKED", [n]), ("HACKED.", [])))

    openai_server.respond_with(obey)
    answer = await llm_engine.ask("What did the harbour council approve for the ferry?")
    request = openai_server.requests[0]
    assert INJECTION not in request.text("system")
    blocks = passage_blocks(request)
    inside = [n for n, body in blocks.items() if INJECTION in body]
    assert len(inside) == 1
    outside = request.text("user")
    for body in blocks.values():
        outside = outside.replace(body, "")
    assert INJECTION not in outside
    assert "<<<END PASSAGE 1>>>" not in blocks[inside[0]]  # the fake delimiter was defused
    assert "HACKED" not in answer.answer
    assert answer.verification is not None
    assert answer.verification.sentences_kept == 0
    assert answer.verification.sentences_dropped == 2
    assert answer.mode == "extractive"
    assert answer.fallback_reason == "nothing_verified"
    assert "ferry timetable" in answer.answer


async def test_server_without_json_mode_gets_plain_text_prompt_and_prose_is_parsed(
    tmp_path: Path,
) -> None:
    with FakeOpenAIServer(json_mode=False) as server:

        def prose(request: Request) -> Reply:
            n = passage_with(request, DRONES)
            return Reply(content=f"Drones and missiles hit the Ain al-Asad airbase in Iraq [{n}].")

        server.respond_with(prose)
        engine = corpus_engine(llm_settings(tmp_path, server.url), tmp_path)
        try:
            first = await engine.ask("What hit Ain al-Asad airbase?")
            second = await engine.ask("What hit Ain al-Asad airbase?")
        finally:
            engine.close()
        assert [r.body.get("response_format") is not None for r in server.requests] == [
            True,
            False,
            False,
        ]
        assert "NOT IN SOURCES" in server.requests[1].text("user")
    for answer in (first, second):
        assert answer.mode == "llm"
        expected = "Drones and missiles hit the Ain al-Asad airbase in Iraq."
        assert answer.sentences[0].text == expected
        assert answer.sentences[0].citations == [1]


async def test_server_errors_fall_back_to_extractive_after_bounded_retries(
    llm_engine: Engine, openai_server: FakeOpenAIServer
) -> None:
    openai_server.respond_with(lambda _r: Reply.error(500, "boom", **FAST_RETRY))
    answer = await llm_engine.ask("What hit Ain al-Asad airbase?")
    assert answer.mode == "extractive"
    assert answer.fallback_reason == "server_error"
    assert not answer.abstained
    assert "drones and missiles" in answer.answer
    assert len(openai_server.requests) == 2  # one try + llm_max_retries=1


async def test_429_retry_after_is_respected_then_answer_verified(
    llm_engine: Engine, openai_server: FakeOpenAIServer
) -> None:
    openai_server.script(Reply.error(429, "slow down", **{"retry-after": "0.3"}))
    openai_server.respond_with(good_reply)
    started = time.perf_counter()
    answer = await llm_engine.ask("What hit Ain al-Asad airbase?")
    assert time.perf_counter() - started >= 0.3
    assert len(openai_server.requests) == 2
    assert answer.mode == "llm"


async def test_persistent_429_falls_back_with_reason(
    llm_engine: Engine, openai_server: FakeOpenAIServer
) -> None:
    openai_server.respond_with(lambda _r: Reply.error(429, "quota", **FAST_RETRY))
    answer = await llm_engine.ask("What hit Ain al-Asad airbase?")
    assert (answer.mode, answer.fallback_reason) == ("extractive", "rate_limited")


async def test_reply_slower_than_deadline_falls_back_in_time(
    openai_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    settings = llm_settings(tmp_path, openai_server.url, llm_deadline=0.4, llm_timeout=10.0)
    engine = corpus_engine(settings, tmp_path)
    openai_server.respond_with(lambda r: Reply(content=good_reply(r).content, delay=3.0))
    started = time.perf_counter()
    try:
        answer = await engine.ask("What hit Ain al-Asad airbase?")
    finally:
        engine.close()
    assert time.perf_counter() - started < 1.5
    assert (answer.mode, answer.fallback_reason) == ("extractive", "deadline")
    assert "drones and missiles" in answer.answer


@pytest.mark.parametrize(
    "content", ['{"sentences": [{"text": "Drones hit', "", "   ", '{"answer": 12}']
)
async def test_invalid_or_empty_reply_falls_back(
    llm_engine: Engine, openai_server: FakeOpenAIServer, content: str
) -> None:
    openai_server.script(Reply(content=content))
    answer = await llm_engine.ask("What hit Ain al-Asad airbase?")
    assert answer.mode == "extractive"
    assert answer.fallback_reason == "invalid_reply"
    assert answer.usage is not None and answer.usage.prompt_tokens > 0


async def test_model_saying_not_in_sources_gives_extractive_when_confident(
    llm_engine: Engine, openai_server: FakeOpenAIServer
) -> None:
    openai_server.script(Reply(content=cited(not_in_sources=True)))
    answer = await llm_engine.ask("What hit Ain al-Asad airbase?")
    assert (answer.mode, answer.fallback_reason) == ("extractive", "not_in_sources")
    assert "drones and missiles" in answer.answer


async def test_off_corpus_question_abstains_without_calling_the_model(
    llm_engine: Engine, openai_server: FakeOpenAIServer
) -> None:
    answer = await llm_engine.ask("Who won the 2018 World Cup?")
    assert answer.abstained
    assert openai_server.requests == []


async def test_streamed_draft_then_verified_answer(
    llm_engine: Engine, openai_server: FakeOpenAIServer
) -> None:
    openai_server.respond_with(lambda r: Reply(content=good_reply(r).content, chunk_chars=7))
    drafts: list[str] = []

    async def on_delta(piece: str) -> None:
        drafts.append(piece)

    answer = await llm_engine.ask("What hit Ain al-Asad airbase?", on_delta=on_delta)
    assert openai_server.requests[0].body["stream"] is True
    assert len(drafts) >= 5  # the draft grows chunk by chunk, markers never shown
    assert "".join(drafts) == (
        "A barrage of drones and missiles struck the Ain al-Asad airbase. "
        "The US sent two aircraft carriers and around 2,000 Marines."
    )
    assert answer.mode == "llm" and answer.verification is not None
    assert answer.verification.sentences_kept == 2
    assert answer.usage is not None and answer.usage.completion_tokens > 0


async def test_request_timeout_falls_back_with_reason(
    openai_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    settings = llm_settings(tmp_path, openai_server.url, llm_timeout=0.2, llm_max_retries=0)
    engine = corpus_engine(settings, tmp_path)
    openai_server.respond_with(lambda r: Reply(content=good_reply(r).content, delay=2.0))
    try:
        answer = await engine.ask("What hit Ain al-Asad airbase?")
    finally:
        engine.close()
    assert (answer.mode, answer.fallback_reason) == ("extractive", "timeout")


async def test_unreachable_server_falls_back_with_reason(tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        url = server.url  # the port is closed once the server stops
    engine = corpus_engine(llm_settings(tmp_path, url, llm_max_retries=0), tmp_path)
    try:
        answer = await engine.ask("What hit Ain al-Asad airbase?")
    finally:
        engine.close()
    assert (answer.mode, answer.fallback_reason) == ("extractive", "connection_error")
    assert "drones and missiles" in answer.answer


async def test_400_to_both_json_and_plain_falls_back_and_forgets_nothing(
    llm_engine: Engine, openai_server: FakeOpenAIServer
) -> None:
    openai_server.respond_with(lambda _r: Reply.error(400, "context too long"))
    answer = await llm_engine.ask("What hit Ain al-Asad airbase?")
    assert (answer.mode, answer.fallback_reason) == ("extractive", "bad_request")
    assert [r.body.get("response_format") is not None for r in openai_server.requests] == [
        True,
        False,
    ]
    openai_server.respond_with(good_reply)
    again = await llm_engine.ask("What hit Ain al-Asad airbase?")
    assert again.mode == "llm"
    assert "response_format" in openai_server.requests[-1].body  # JSON mode still tried


async def test_streamed_plain_text_from_server_without_json_mode(tmp_path: Path) -> None:
    with FakeOpenAIServer(json_mode=False) as server:
        server.respond_with(
            lambda r: Reply(
                content=f"Drones and missiles hit the Ain al-Asad airbase in Iraq "
                f"[{passage_with(r, DRONES)}].",
                chunk_chars=5,
            )
        )
        engine = corpus_engine(llm_settings(tmp_path, server.url), tmp_path)
        drafts: list[str] = []

        async def on_delta(piece: str) -> None:
            drafts.append(piece)

        try:
            answer = await engine.ask("What hit Ain al-Asad airbase?", on_delta=on_delta)
        finally:
            engine.close()
    assert "".join(drafts) == "Drones and missiles hit the Ain al-Asad airbase in Iraq."
    assert answer.mode == "llm"
    assert answer.answer == "Drones and missiles hit the Ain al-Asad airbase in Iraq. [1]"


async def test_stream_cut_mid_reply_falls_back_cleanly(
    llm_engine: Engine, openai_server: FakeOpenAIServer
) -> None:
    openai_server.respond_with(
        lambda r: Reply(content=good_reply(r).content, chunk_chars=10, cut_after_chunks=4)
    )
    drafts: list[str] = []

    async def on_delta(piece: str) -> None:
        drafts.append(piece)

    answer = await llm_engine.ask("What hit Ain al-Asad airbase?", on_delta=on_delta)
    assert answer.mode == "extractive"
    assert answer.fallback_reason in {"connection_error", "invalid_reply"}
    assert "drones and missiles" in answer.answer


async def test_retrieval_runs_off_the_event_loop(
    llm_engine: Engine, openai_server: FakeOpenAIServer
) -> None:
    """The bot's loop stays free while passages are searched (LLM answer and fallback)."""
    pipeline = llm_engine.pipeline
    search, threads = pipeline.search, []

    def watched(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.get_ident())
        return search(*args, **kwargs)

    pipeline.search = watched
    openai_server.respond_with(good_reply)
    assert (await llm_engine.ask("What hit Ain al-Asad airbase?")).mode == "llm"
    openai_server.respond_with(lambda r: Reply.error(400, "bad request"))
    fallback = await llm_engine.ask("What hit Ain al-Asad airbase?")
    assert fallback.mode == "extractive" and fallback.fallback_reason
    assert len(threads) >= 2 and threading.get_ident() not in threads
