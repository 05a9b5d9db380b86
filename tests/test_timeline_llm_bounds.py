"""LLM timelines ask for a bounded reply and hold whatever comes back to the same bounds:
a scripted loopback server sends a good reply, an overlong one, one citing a passage that
was never supplied, and ones that are not JSON."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.insight.llm_timeline import LINE_CHARS
from bot.insight.models import Timeline
from tests.llm_helpers import cited, llm_settings, passage_blocks
from tests.support.openai_server import FakeOpenAIServer, Reply, Request, openai_server
from tests.test_insight import FIXTURE

__all__ = ["openai_server"]  # the fixture, imported for pytest

TOPIC = "Kestrel dam"
FLOOD = "floods Portmere valley"
# every word is in the flood report, but far longer than one timeline line may be
RAMBLING = (
    "The Kestrel dam above Portmere burst early on Monday, sending a wall of water through "
    "three villages in the valley, and rescue teams reached the first houses by boat."
)


@pytest.fixture
def engine(tmp_path: Path, openai_server: FakeOpenAIServer) -> Iterator[Engine]:
    engine = Engine(llm_settings(tmp_path, openai_server.url, auto_seed=False))
    engine.ingest([FIXTURE])
    yield engine
    engine.close()


def headlines(request: Request) -> dict[int, str]:
    """Each supplied passage's number and its development's line (after the date line)."""
    return {n: body.split("\n")[1] for n, body in passage_blocks(request).items()}


def flood(request: Request) -> int:
    return next(n for n, body in passage_blocks(request).items() if FLOOD in body)


async def run(
    engine: Engine, server: FakeOpenAIServer, reply: Callable[[Request], str]
) -> tuple[Timeline, Timeline]:
    server.respond_with(lambda request: Reply(content=reply(request)))
    extractive = await engine.timeline(TOPIC, mode="extractive")
    return extractive, await engine.timeline(TOPIC)


async def test_a_good_reply_under_a_bounded_schema(
    engine: Engine, openai_server: FakeOpenAIServer
) -> None:
    extractive, timeline = await run(
        engine, openai_server, lambda r: cited(*((line, [n]) for n, line in headlines(r).items()))
    )
    developments = len(extractive.events)
    assert timeline.mode == "llm" and len(timeline.events) == developments
    response_format = openai_server.requests[-1].body["response_format"]
    schema = response_format["json_schema"]["schema"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"sentences", "not_in_sources"}
    lines = schema["properties"]["sentences"]
    assert lines["maxItems"] == developments
    item = lines["items"]
    assert item["additionalProperties"] is False and set(item["required"]) == {"text", "citations"}
    line_chars = item["properties"]["text"]["maxLength"]
    assert 40 <= line_chars <= LINE_CHARS
    citations = item["properties"]["citations"]
    assert citations["maxItems"] <= 3 and citations["items"]["maximum"] == developments
    assert f"at most {line_chars} characters" in openai_server.requests[-1].text("user")


async def test_an_overlong_reply_is_cut_to_the_bounds(
    engine: Engine, openai_server: FakeOpenAIServer
) -> None:
    def overlong(request: Request) -> str:
        lines = [(line, [n]) for n, line in headlines(request).items()]
        return cited((RAMBLING, [flood(request)]), *lines, *lines)  # twice as many as asked

    extractive, timeline = await run(engine, openai_server, overlong)
    assert timeline.mode == "llm"
    assert len(timeline.events) == len(extractive.events)
    assert RAMBLING not in [e.text for e in timeline.events]
    assert all(len(e.text) <= LINE_CHARS for e in timeline.events)


async def test_a_line_citing_an_unsupplied_passage_is_dropped(
    engine: Engine, openai_server: FakeOpenAIServer
) -> None:
    def unsupplied(request: Request) -> str:
        missing = len(passage_blocks(request)) + 1
        return cited(
            ("The Kestrel dam burst and flooded the Portmere valley.", [flood(request)]),
            ("Ostria denied involvement in the Kestrel dam breach.", [missing]),
        )

    _, timeline = await run(engine, openai_server, unsupplied)
    assert timeline.mode == "llm"
    assert [e.text for e in timeline.events] == [
        "The Kestrel dam burst and flooded the Portmere valley."
    ]
    assert timeline.events[0].citations == [1] and len(timeline.sources) == 1


async def test_only_unsupplied_citations_fall_back_to_the_extractive_timeline(
    engine: Engine, openai_server: FakeOpenAIServer
) -> None:
    def unsupplied(request: Request) -> str:
        missing = len(passage_blocks(request)) + 1
        return cited(("Ostria denied involvement in the Kestrel dam breach.", [missing]))

    extractive, timeline = await run(engine, openai_server, unsupplied)
    assert (timeline.mode, timeline.fallback_reason) == ("extractive", "nothing_verified")
    assert timeline.events == extractive.events


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("Sorry, I cannot write a timeline of this topic.", "nothing_verified"),
        ('{"sentences": [{"text": "The Kestrel dam burst', "invalid_reply"),
    ],
)
async def test_a_reply_that_is_not_json_falls_back_to_the_extractive_timeline(
    engine: Engine, openai_server: FakeOpenAIServer, content: str, reason: str
) -> None:
    extractive, timeline = await run(engine, openai_server, lambda _request: content)
    assert (timeline.mode, timeline.fallback_reason) == ("extractive", reason)
    assert timeline.events == extractive.events
    [row] = engine.store.db.query(
        "SELECT mode, fallback_reason FROM llm_usage WHERE chat_id = 'timelines'"
    )
    assert tuple(row) == ("timeline", reason)
