"""LLM-written briefing summaries against the fake OpenAI server: verified, cited, per-story
fallback; and `briefbot brief --mode`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bot.briefing.builder import BriefingBuilder
from bot.briefing.models import Briefing
from bot.briefing.window import day_window
from bot.cli import main
from bot.config import Settings
from bot.engine import Engine
from tests.llm_helpers import cited, llm_settings, passage_with
from tests.support.openai_server import FakeOpenAIServer, Reply, Request, openai_server

__all__ = ["openai_server"]  # the fixture, imported for pytest

FIXTURE = Path(__file__).parent / "fixtures" / "briefing_day.jsonl"
DAY = date(2023, 10, 17)
GAZA_1 = "An explosion at the al-Ahli hospital in Gaza City killed hundreds of Palestinians."
GAZA_2 = "Israel said a rocket misfired by Islamic Jihad hit the hospital."
JORDAN_OK = "Jim Jordan failed to win the House speaker vote as 20 Republicans opposed him."
JORDAN_MADE_UP = "Jim Jordan received 312 votes on the first ballot."


def story_of(request: Request) -> str:
    story = request.text("user").split("\n<<<STORY>>>\n", 1)[1].split("\n<<<END STORY>>>", 1)[0]
    return "gaza" if "Gaza" in story else "jordan" if "Jordan" in story else "other"


def responder(request: Request) -> Reply:
    """Gaza: a good reply; Jordan: one sentence with a made-up number; anything else: 500."""
    story = story_of(request)
    if story == "gaza":
        a = passage_with(request, "health officials in Gaza said")
        b = passage_with(request, "misfired by Islamic Jihad hit the hospital")
        return Reply(content=cited((GAZA_1, [a]), (GAZA_2, [b, 99])))
    if story == "jordan":
        n = passage_with(request, "20 Republicans opposed him")
        return Reply(content=cited((JORDAN_OK, [n]), (JORDAN_MADE_UP, [n])))
    return Reply.error(500, "model overloaded")


def _settings(tmp_path: Path, server: FakeOpenAIServer) -> Settings:
    return llm_settings(
        tmp_path, server.url, auto_seed=False, llm_max_retries=0, briefing_top_stories=3
    )


@pytest.fixture
def engine(tmp_path: Path, openai_server: FakeOpenAIServer) -> Iterator[Engine]:
    eng = Engine(_settings(tmp_path, openai_server))
    eng.ingest([FIXTURE])
    yield eng
    eng.close()


async def _brief(engine: Engine) -> Briefing:
    builder = BriefingBuilder(engine.store, engine.settings)
    try:
        return await builder.abuild(day_window(DAY), (), engine.briefing_summariser())
    finally:
        await engine.llm.client.close()


async def test_llm_summaries_are_verified_cited_and_fall_back_per_story(
    engine: Engine, openai_server: FakeOpenAIServer
) -> None:
    openai_server.respond_with(responder)
    briefing = await _brief(engine)
    extractive = BriefingBuilder(engine.store, engine.settings).build(day_window(DAY))

    assert len(openai_server.requests) == 3, "one call per story"
    for request in openai_server.requests:
        prompt = request.text("user")
        assert "<<<PASSAGE 1>>>" in prompt and "untrusted material" in prompt
    gaza, jordan, other = briefing.stories
    assert briefing.mode == "llm"

    assert gaza.mode == "llm"
    assert [s.text for s in gaza.sentences] == [GAZA_1, GAZA_2]
    refs = {r.n: r for r in briefing.sources}
    for sentence in gaza.sentences:
        assert len(sentence.citations) == 1, "the made-up passage 99 is dropped"
        assert refs[sentence.citations[0]].article_id in gaza.article_ids
    assert refs[gaza.sentences[1].citations[0]].url == "https://reuters.example/gaza-4"

    assert jordan.mode == "llm"
    assert [s.text for s in jordan.sentences] == [JORDAN_OK], "unsupported number dropped"

    assert other.mode == "extractive", "a 500 falls back for that story only"
    assert [s.text for s in other.sentences] == [s.text for s in extractive.stories[2].sentences]
    cited = {n for s in briefing.stories for t in s.sentences for n in t.citations}
    cited |= {n for s in briefing.stories for d in s.disagreements for n in d.citations}
    assert cited == set(refs)

    usage = engine.store.db.query(
        "SELECT mode, fallback_reason FROM llm_usage WHERE chat_id = 'briefings' ORDER BY id"
    )
    assert sorted((r[1] or "") for r in usage) == ["", "", "server_error"]


async def test_unreachable_llm_gives_the_extractive_briefing_with_a_note(
    engine: Engine, openai_server: FakeOpenAIServer
) -> None:
    openai_server.respond_with(lambda _request: Reply.error(500))
    briefing = await _brief(engine)
    extractive = BriefingBuilder(engine.store, engine.settings).build(day_window(DAY))
    assert briefing.mode == "extractive" and briefing.note
    assert [s.sentences for s in briefing.stories] == [s.sentences for s in extractive.stories]


def test_cli_brief_mode_llm_and_extractive(
    tmp_path: Path,
    openai_server: FakeOpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    openai_server.respond_with(responder)
    Engine(_settings(tmp_path, openai_server)).ingest([FIXTURE])
    args = ["brief", "--date", "2023-10-17", "--top", "2", "--json", "--no-seeds"]

    assert main([*args, "--mode", "llm"]) == 1, "no endpoint configured"
    assert "--mode llm needs an LLM endpoint" in capsys.readouterr().err

    monkeypatch.setenv("BRIEFBOT_LLM_BASE_URL", openai_server.url)
    monkeypatch.setenv("BRIEFBOT_LLM_MAX_RETRIES", "0")
    assert main([*args, "--mode", "extractive"]) == 0
    assert json.loads(capsys.readouterr().out)["mode"] == "extractive"
    assert not openai_server.requests

    assert main([*args, "--mode", "llm"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["mode"] == "llm" and len(openai_server.requests) == 2
    assert [s["text"] for s in data["stories"][0]["sentences"]] == [GAZA_1, GAZA_2]
