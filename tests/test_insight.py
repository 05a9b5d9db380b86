"""Timelines, trends, disagreements and reader languages over a small invented dam story."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.briefing.disagreements import Report, find_conflicts
from bot.cli import main
from bot.config import Settings
from bot.engine import Engine
from bot.insight.topic import trend_topics
from bot.insight.trend import sparkline
from tests.llm_helpers import cited, llm_settings, passage_blocks
from tests.support.openai_server import FakeOpenAIServer, Reply, Request, openai_server

__all__ = ["openai_server"]  # the fixture, imported for pytest

FIXTURE = Path(__file__).parent / "fixtures" / "insight_news.jsonl"
PNG = b"\x89PNG\r\n\x1a\n"


def at(day: int, hour: int) -> datetime:
    return datetime(2023, 10, day, tzinfo=UTC) + timedelta(hours=hour)


def report(n: int, outlet: str, when: datetime, title: str, text: str = "") -> Report:
    return Report(n, outlet, when, title, text)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    engine = Engine(Settings(data_dir=tmp_path / "data", auto_seed=False))
    engine.ingest([FIXTURE])
    engine.close()
    return tmp_path / "data"


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main([*argv, "--json", "--no-seeds"]) == 0
    return json.loads(capsys.readouterr().out)


# --- disagreements -----------------------------------------------------------------------


def test_different_tolls_from_two_outlets_are_flagged_with_both_quotes() -> None:
    found = find_conflicts(
        [
            report(1, "AP", at(2, 9), "At least 12 killed as Kestrel dam bursts in the valley"),
            report(2, "Reuters", at(2, 11), "Kestrel dam collapse: 8 killed in the valley"),
        ]
    )
    assert len(found) == 1
    assert found[0].subject == "the number killed"
    assert [(s.quote, s.article_id) for s in found[0].sides] == [
        ("At least 12 killed", 1),
        ("8 killed", 2),
    ]


@pytest.mark.parametrize(
    "first, second, outlets, hours",
    [
        ("At least 200 killed in the valley flood", "500 killed in the valley flood", 2, 1),
        ("12 killed in the valley flood", "12 killed in the valley flood", 2, 1),
        ("8 killed in the valley flood", "12 killed in the valley flood", 1, 1),  # one outlet
        ("8 killed in the valley flood", "12 killed in the valley flood", 2, 30),  # a day on
        ("8 killed in the valley flood", "Death toll rose to 12 in the valley flood", 2, 3),
        ("8 killed in the Kestrel flood", "12 killed in the Ostria storm", 2, 1),  # two events
        ("12 people killed in the valley", "Officials expect 30 killed in the valley", 2, 1),
    ],
)
def test_compatible_updated_or_unrelated_figures_are_not_flagged(
    first: str, second: str, outlets: int, hours: int
) -> None:
    second_outlet = "Reuters" if outlets == 2 else "AP"
    reports = [report(1, "AP", at(2, 0), first), report(2, second_outlet, at(2, hours), second)]
    assert find_conflicts(reports) == []


def test_blame_and_the_blamed_partys_denial_are_flagged() -> None:
    found = find_conflicts(
        [
            report(1, "Gazette", at(2, 14), "The dam breach is blamed on an Ostrian drone strike"),
            report(2, "Post", at(2, 16), "Ostria denies involvement in the dam breach"),
        ]
    )
    assert [c.subject for c in found] == ["who is responsible"]
    assert {s.quote for s in found[0].sides} == {
        "Ostrian drone strike",
        "Ostria denies involvement",
    }


def test_brief_json_stories_carry_cited_disagreements(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    briefing = run_json(capsys, "brief", "--date", "2023-10-02", "--data-dir", str(data_dir))
    story = briefing["stories"][0]
    [differ] = story["disagreements"]
    assert differ["text"].startswith("Sources differ on the number killed:")
    numbers = {ref["n"]: ref for ref in briefing["sources"]}
    quoted = {numbers[n]["url"] for n in differ["citations"]}
    assert quoted == {"https://courier.example/dam-toll", "https://northpost.example/dam"}
    for n in differ["citations"]:
        assert f"[{n}]" in differ["text"]
        assert n in {ref["n"] for ref in story["sources"]}


def test_an_answer_citing_both_tolls_says_the_sources_differ(data_dir: Path) -> None:
    engine = Engine(Settings(data_dir=data_dir, auto_seed=False))
    try:
        answer = engine.answer_extractive("How many were killed when the Kestrel dam burst?")
        from bot.engine import with_disagreements

        flagged = with_disagreements(answer)
    finally:
        engine.close()
    assert len({ref.source for ref in answer.sources}) >= 2
    assert [d.text.split(":")[0] for d in flagged.disagreements] == [
        "Sources differ on the number killed"
    ]


# --- timelines ---------------------------------------------------------------------------


def test_timeline_json_lists_developments_oldest_first_with_copies_collapsed(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    timeline = run_json(capsys, "timeline", "Kestrel dam", "--data-dir", str(data_dir))
    events = timeline["events"]
    assert timeline["topic"] == "Kestrel dam"
    assert len(events) >= 4
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    texts = [e["text"] for e in events]
    assert texts[0] == "Dam breach floods Portmere valley"
    # the wire copy and the two toll reports of that morning: one line, "+3 outlets"
    assert events[0]["more_outlets"] == 3
    assert sum("shelters" in t.lower() for t in texts) == 1  # two reports, one development
    assert not any("Orchestra" in t or "bridge" in t for t in texts)
    refs = {ref["n"]: ref for ref in timeline["sources"]}
    for e in events:
        assert e["date"] == e["at"][:10]
        assert e["citations"] and all(n in refs for n in e["citations"])
        assert refs[e["citations"][0]]["published_at"][:16] == e["at"][:16]


def test_timeline_window_and_empty_topic(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--data-dir", str(data_dir), "--since", "2023-10-03", "--until", "2023-10-03"]
    timeline = run_json(capsys, "timeline", "Kestrel dam", *args)
    assert {e["date"] for e in timeline["events"]} == {"2023-10-03"}
    nothing = run_json(capsys, "timeline", "zeppelin", "--data-dir", str(data_dir))
    assert nothing["events"] == [] and "Nothing about" in nothing["note"]


def timeline_responder(request: Request) -> Reply:
    blocks = passage_blocks(request)
    first = next(n for n, body in blocks.items() if "floods Portmere valley" in body)
    inquiry = next(n for n, body in blocks.items() if "inquiry" in body)
    return Reply(
        content=cited(
            ("The Kestrel dam burst and flooded the Portmere valley.", [first]),
            ("The government ordered an inquiry into the Kestrel dam collapse.", [inquiry]),
            ("The dam was built in 1911 by 400 workers.", [first]),  # not in the source
        )
    )


def test_llm_timeline_is_verified_and_dated_by_its_sources(
    tmp_path: Path, openai_server: FakeOpenAIServer
) -> None:
    engine = Engine(llm_settings(tmp_path, openai_server.url, auto_seed=False))
    engine.ingest([FIXTURE])
    openai_server.respond_with(timeline_responder)
    try:
        import asyncio

        timeline = asyncio.run(engine.timeline("Kestrel dam"))
        prompt = openai_server.requests[-1].text("user")
    finally:
        engine.close()
    assert "<<<TOPIC>>>\nKestrel dam\n<<<END TOPIC>>>" in prompt
    assert timeline.mode == "llm"
    assert [e.text for e in timeline.events] == [
        "The Kestrel dam burst and flooded the Portmere valley.",
        "The government ordered an inquiry into the Kestrel dam collapse.",
    ]
    assert [e.date.isoformat() for e in timeline.events] == ["2023-10-02", "2023-10-04"]
    assert [e.citations for e in timeline.events] == [[1], [2]]


def test_llm_timelines_stop_when_the_days_allowance_for_everyone_is_spent(
    tmp_path: Path, openai_server: FakeOpenAIServer
) -> None:
    settings = llm_settings(tmp_path, openai_server.url, auto_seed=False, llm_daily_tokens_total=1)
    engine = Engine(settings)
    engine.ingest([FIXTURE])
    openai_server.respond_with(timeline_responder)
    try:
        import asyncio

        first = asyncio.run(engine.timeline("Kestrel dam"))
        second = asyncio.run(engine.timeline("Kestrel dam"))
    finally:
        engine.close()
    assert first.mode == "llm"
    assert (second.mode, second.fallback_reason) == ("extractive", "daily_budget_total")
    assert second.events and len(openai_server.requests) == 1


# --- trends ------------------------------------------------------------------------------


def test_trend_counts_articles_per_day_including_collapsed_copies(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--data-dir", str(data_dir), "--since", "2023-10-01", "--until", "2023-10-04"]
    trend = run_json(capsys, "trend", "Kestrel dam, orchestra", *args)
    dam, orchestra = trend["topics"]
    assert [d["articles"] for d in dam["days"]] == [0, 6, 2, 2]
    assert dam["total"] == 10 and dam["outlet_count"] == 4
    assert [d["articles"] for d in orchestra["days"]] == [0, 0, 1, 0]
    assert sum(o["articles"] for o in dam["outlets"]) == 10
    assert main(["trend", "Kestrel dam", *args, "--no-seeds"]) == 0
    text = capsys.readouterr().out
    assert "peak Oct 02 (6)" in text
    assert sparkline([0, 6, 2, 2]) in text


def test_trend_png_is_a_real_chart(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = data_dir.parent / "chart.png"
    assert main(["trend", "Kestrel dam", "--data-dir", str(data_dir), "--png", str(out)]) == 0
    png = out.read_bytes()
    assert png.startswith(PNG) and len(png) > 5000
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (960, 540)
    assert "chart written to" in capsys.readouterr().out


def test_trend_topics_split_on_commas_only() -> None:
    assert trend_topics("Kestrel dam, orchestra,") == ["Kestrel dam", "orchestra"]
    assert trend_topics("  Kestrel   dam ") == ["Kestrel dam"]
    assert trend_topics(" , ") == trend_topics("") == []


def test_sparkline_scales_to_the_peak() -> None:
    assert sparkline([0, 4, 8]) == "▁▅█"
    assert sparkline([0, 0]) == "▁▁"


# --- reader languages --------------------------------------------------------------------

QUESTION_DE = "Wie viele Menschen hat der Bruch des Kestrel Damms in Portmere getötet?"


def test_extractive_answers_stay_in_the_sources_language_and_say_so(data_dir: Path) -> None:
    import asyncio

    engine = Engine(Settings(data_dir=data_dir, auto_seed=False))
    try:
        # two words: too short to tell the question's language, so the reader's is used
        answer = asyncio.run(engine.ask("Kestrel dam?", language="de"))
        plain = asyncio.run(engine.ask("How many people were killed when the Kestrel dam burst?"))
    finally:
        engine.close()
    assert answer.language == "en"
    assert answer.note and "Quoted from the sources in English" in answer.note
    assert plain.note is None  # no reader language known: nothing loaded, nothing said


def translating(request: Request) -> Reply:
    user = request.text("user")
    if "<<<SENTENCE 1>>>" in user:
        assert "into German" in user
        return Reply(
            content=cited(
                ("Mindestens 12 Menschen wurden getötet, als der Kestrel-Damm brach.", [1])
            )
        )
    blocks = passage_blocks(request)
    toll = next(n for n, body in blocks.items() if "At least 12 people were killed" in body)
    return Reply(
        content=cited(("At least 12 people were killed when the Kestrel dam burst.", [toll]))
    )


@pytest.fixture
def llm_engine(tmp_path: Path, openai_server: FakeOpenAIServer) -> Iterator[Engine]:
    engine = Engine(
        llm_settings(tmp_path, openai_server.url, auto_seed=False, llm_min_coverage=0.0)
    )
    engine.ingest([FIXTURE])
    yield engine
    engine.close()


async def test_llm_answers_come_in_the_questions_language_with_the_same_citations(
    llm_engine: Engine, openai_server: FakeOpenAIServer
) -> None:
    openai_server.respond_with(translating)
    answer = await llm_engine.ask(QUESTION_DE)
    assert answer.mode == "llm" and answer.language == "de"
    assert answer.answer.startswith("Mindestens 12 Menschen wurden getötet")
    [sentence] = answer.sentences
    assert answer.sources[sentence.citations[0] - 1].url == "https://courier.example/dam-toll"
    assert answer.answer.endswith(f"[{sentence.citations[0]}]")


async def test_a_translation_that_loses_a_number_keeps_the_verified_original(
    llm_engine: Engine, openai_server: FakeOpenAIServer
) -> None:
    def careless(request: Request) -> Reply:
        if "<<<SENTENCE 1>>>" in request.text("user"):
            return Reply(content=cited(("Viele Menschen wurden getötet.", [1])))
        return translating(request)

    openai_server.respond_with(careless)
    answer = await llm_engine.ask(QUESTION_DE)
    assert answer.answer.startswith("At least 12 people were killed")
    assert answer.language == "en"
    assert answer.note and "Quoted from the sources in English" in answer.note
