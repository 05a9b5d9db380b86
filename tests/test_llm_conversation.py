"""Follow-ups, budgets and prompt files on the LLM path, against the loopback server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.answer.pipeline import BUDGET_NOTE
from bot.engine import Engine
from bot.models import Turn
from bot.text.tokens import count_tokens
from tests.llm_helpers import (
    cited,
    corpus_engine,
    llm_settings,
    passage_blocks,
    passage_with,
    question_block,
)
from tests.support.openai_server import FakeOpenAIServer, Reply, Request, openai_server

__all__ = ["openai_server"]  # the fixture, imported for pytest

HISTORY = [
    Turn(
        question="What hit the Ain al-Asad airbase?",
        answer="A barrage of drones and missiles hit the base [1].",
    )
]


def drones_reply(request: Request) -> Reply:
    n = passage_with(request, "barrage of drones and missiles")
    return Reply(content=cited(("A barrage of drones and missiles hit the Ain al-Asad base.", [n])))


async def test_follow_up_is_rewritten_by_the_model_then_answered(
    openai_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    openai_server.script(
        Reply(content="Standalone question: Who called for US forces to leave Iraq?")
    )

    def answer(request: Request) -> Reply:
        n = passage_with(request, "Kataib Hezbollah")
        return Reply(
            content=cited(("Kataib Hezbollah called for the departure of US forces.", [n]))
        )

    openai_server.respond_with(answer)
    engine = corpus_engine(llm_settings(tmp_path, openai_server.url), tmp_path)
    try:
        result = await engine.ask("and who wants them out?", history=HISTORY)
    finally:
        engine.close()
    condense, main = openai_server.requests
    assert "response_format" not in condense.body
    assert "<<<HISTORY>>>" in condense.text("user")
    assert "What hit the Ain al-Asad airbase?" in condense.text("user")
    assert "[1]" not in condense.text("user")  # markers stripped from earlier answers
    assert question_block(main) == "Who called for US forces to leave Iraq?"
    assert result.standalone_question == "Who called for US forces to leave Iraq?"
    assert result.question == "and who wants them out?"
    assert result.mode == "llm"
    assert result.usage is not None
    assert result.usage.prompt_tokens > count_tokens(main.text("user"))  # both calls counted


async def test_failed_rewrite_falls_back_to_carrying_key_terms(
    openai_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    openai_server.script(Reply.error(400, "no"))
    openai_server.respond_with(drones_reply)
    engine = corpus_engine(llm_settings(tmp_path, openai_server.url), tmp_path)
    try:
        result = await engine.ask("and what about it?", history=HISTORY)
    finally:
        engine.close()
    assert result.standalone_question is not None
    assert "ain al asad airbase" in result.standalone_question.lower()
    assert result.mode == "llm"


async def test_unreachable_model_during_rewrite_falls_back_at_once(
    openai_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    openai_server.respond_with(lambda _r: Reply.error(503, "down", **{"retry-after-ms": "10"}))
    engine = corpus_engine(llm_settings(tmp_path, openai_server.url), tmp_path)
    try:
        result = await engine.ask("and what about it?", history=HISTORY)
    finally:
        engine.close()
    assert len(openai_server.requests) == 2  # the rewrite and its one retry; no answer call
    assert (result.mode, result.fallback_reason) == ("extractive", "server_error")
    assert result.standalone_question and "airbase" in result.standalone_question
    assert "drones and missiles" in result.answer


async def test_history_in_the_rewrite_prompt_is_bounded(
    openai_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    long_history = [
        Turn(question=f"Question number {i} about the airbase?", answer="word " * 300)
        for i in range(20)
    ]
    openai_server.script(Reply(content="What hit the Ain al-Asad airbase?"))
    openai_server.respond_with(drones_reply)
    settings = llm_settings(tmp_path, openai_server.url, llm_history_tokens=200)
    engine = corpus_engine(settings, tmp_path)
    try:
        await engine.ask("and then?", history=long_history)
    finally:
        engine.close()
    convo = openai_server.requests[0].text("user").split("<<<HISTORY>>>")[1]
    convo = convo.split("<<<END HISTORY>>>")[0]
    assert 0 < count_tokens(convo) <= 200
    assert "Question number 19" in convo
    assert "Question number 0 " not in convo


async def test_extractive_mode_uses_heuristic_follow_up(
    openai_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    engine = corpus_engine(llm_settings(tmp_path, openai_server.url), tmp_path)
    try:
        result = await engine.ask("and what about it?", history=HISTORY, mode="extractive")
    finally:
        engine.close()
    assert openai_server.requests == []
    assert result.mode == "extractive"
    assert result.question == "and what about it?"
    assert result.standalone_question and "airbase" in result.standalone_question
    assert "drones and missiles" in result.answer


async def test_daily_budget_per_chat_gives_extractive_with_note(
    openai_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    openai_server.respond_with(drones_reply)
    day = datetime(2026, 3, 1, 10, tzinfo=UTC)
    settings = llm_settings(tmp_path, openai_server.url, llm_daily_tokens_per_chat=300)
    engine = corpus_engine(settings, tmp_path)
    engine.pipeline.clock = lambda: day
    try:
        first = await engine.ask("What hit Ain al-Asad airbase?", chat_id="7")
        second = await engine.ask("What hit Ain al-Asad airbase?", chat_id="7")
        other_chat = await engine.ask("What hit Ain al-Asad airbase?", chat_id="8")
        engine.pipeline.clock = lambda: day + timedelta(days=1)
        next_day = await engine.ask("What hit Ain al-Asad airbase?", chat_id="7")
        used = engine.usage.used_on("7", day)
    finally:
        engine.close()
    assert first.mode == "llm"
    assert first.usage is not None
    assert used == first.usage.prompt_tokens + first.usage.completion_tokens > 300
    assert (second.mode, second.fallback_reason, second.note) == (
        "extractive",
        "daily_budget",
        BUDGET_NOTE,
    )
    assert "drones and missiles" in second.answer
    assert other_chat.mode == "llm"
    assert next_day.mode == "llm"
    assert len(openai_server.requests) == 3


async def test_prompt_fits_the_token_budget_and_keeps_passages_whole(
    openai_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    openai_server.respond_with(drones_reply)
    for budget in (2500, 520):
        settings = llm_settings(
            tmp_path / str(budget),
            openai_server.url,
            llm_prompt_budget=budget,
            top_k=20,
            chunk_tokens=60,
            chunk_min_tokens=40,
            chunk_max_tokens=80,
        )
        engine = corpus_engine(settings, tmp_path / str(budget))
        try:
            await engine.ask("What hit Ain al-Asad airbase?")
            passages = engine.search("What hit Ain al-Asad airbase?", k=20).passages
        finally:
            engine.close()
        request = openai_server.requests[-1]
        total = sum(count_tokens(m["content"]) + 4 for m in request.messages)
        assert total <= budget
        blocks = passage_blocks(request)
        assert blocks
        assert list(blocks) == list(range(1, len(blocks) + 1))
        texts = {p.text.strip() for p in passages}
        for body in blocks.values():
            assert body.split("\nText: ", 1)[1] in texts
    small, large = openai_server.requests[-1], openai_server.requests[-2]
    assert len(passage_blocks(small)) < len(passage_blocks(large))


async def test_prompt_templates_can_be_overridden_from_a_folder(
    openai_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    custom = tmp_path / "my-prompts"
    custom.mkdir()
    (custom / "system.txt").write_text("HOUSE RULES v2: at most $max_sentences sentences.\n")
    openai_server.respond_with(drones_reply)
    settings = llm_settings(tmp_path, openai_server.url, llm_prompts_dir=custom)
    engine = corpus_engine(settings, tmp_path)
    try:
        answer = await engine.ask("What hit Ain al-Asad airbase?")
    finally:
        engine.close()
    request = openai_server.requests[0]
    assert request.text("system") == "HOUSE RULES v2: at most 4 sentences.\n"
    assert question_block(request) == "What hit Ain al-Asad airbase?"  # bundled answer.txt
    assert answer.mode == "llm"


async def test_keep_uncited_setting_keeps_and_marks_sentences_without_citations(
    openai_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    def reply(request: Request) -> Reply:
        n = passage_with(request, "barrage of drones and missiles")
        return Reply(
            content=cited(
                ("A barrage of drones and missiles hit the Ain al-Asad base.", [n]),
                ("Officials expect further attacks in the coming days.", []),
            )
        )

    openai_server.respond_with(reply)
    settings = llm_settings(tmp_path, openai_server.url, llm_keep_uncited=True)
    engine = corpus_engine(settings, tmp_path)
    try:
        answer = await engine.ask("What hit Ain al-Asad airbase?")
    finally:
        engine.close()
    assert answer.mode == "llm"
    assert [s.citations for s in answer.sentences] == [[1], []]
    assert answer.sentences[1].text.endswith("(uncited)")
    assert answer.verification is not None and answer.verification.sentences_kept == 2


async def test_forced_llm_mode_without_endpoint_answers_extractively(
    seeded_engine: Engine,
) -> None:
    answer = await seeded_engine.ask("What hit Ain al-Asad?", mode="llm")
    assert (answer.mode, answer.fallback_reason) == ("extractive", "llm_not_configured")
    assert "drones and missiles" in answer.answer
