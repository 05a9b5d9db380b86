""" "Also reported by …": a wire story carried by several outlets is stored once (the others
become alternates at ingest); answers cite the one article and name the other outlets,
briefings count them. Extractive, LLM, CLI JSON/text and Telegram HTML."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.briefing.builder import BriefingBuilder
from bot.briefing.window import day_window
from bot.cli import main
from bot.cli.ask_cmd import format_answer
from bot.config import Settings
from bot.engine import Engine
from bot.models import ArticleIn
from bot.telegram.render import render_answer
from tests.llm_helpers import cited, llm_settings, passage_with
from tests.support.botapi import BotApiEmulator
from tests.support.content import Item, long_text, rss2, syndicated
from tests.support.openai_server import FakeOpenAIServer, Reply, Request, openai_server
from tests.support.telegram_bot import bot_settings, run_bot
from tests.support.tg_html import parse_html
from tests.support.webserver import LoopbackServer
from tests.support.webserver import Reply as WebReply

__all__ = ["openai_server"]  # the fixture, imported for pytest

QUESTION = "Why will interest rates stay on hold?"
DAY = date(2023, 10, 17)
OUTLETS = ["Wire", "Daily", "Herald", "Post"]


def wire_articles(day: date = DAY) -> list[ArticleIn]:
    """The wire story as four outlets ran it (in that order), a copy at a second URL of the
    first outlet, and one unrelated story."""
    start = datetime(day.year, day.month, day.day, 8, tzinfo=UTC)
    copies = [
        ArticleIn(
            title=f"Rates stay on hold ({outlet})",
            text=text,
            url=f"https://{outlet.lower()}.example.com/rates",
            source=outlet,
            published_at=start + timedelta(minutes=10 * i),
        )
        for i, (outlet, text) in enumerate(syndicated().items())
    ]
    mirror = copies[0].model_copy(
        update={"url": "https://wire.example.com/mirror/rates", "text": copies[0].text + " (AP)"}
    )
    other = ArticleIn(
        title="Museum opens new wing",
        text=long_text("museum wing"),
        url="https://daily.example.com/museum",
        source="Daily",
        published_at=start + timedelta(hours=2),
    )
    return [*copies, mirror, other]


@pytest.fixture
def wire_engine(settings: Settings) -> Iterator[Engine]:
    engine = Engine(settings.updated(auto_seed=False))
    report = engine.ingestor.ingest_articles(wire_articles())
    assert (report.added, report.near_duplicates) == (2, 4)
    yield engine
    engine.close()


def test_extractive_answer_names_the_other_outlets(wire_engine: Engine) -> None:
    answer = wire_engine.answer_extractive(QUESTION)
    assert not answer.abstained
    wire = next(ref for ref in answer.sources if ref.source == "Wire")
    assert wire.also_reported_by == ["Daily", "Herald", "Post"], "own outlet's mirror left out"
    assert all(not ref.also_reported_by for ref in answer.sources if ref.source != "Wire")
    text = format_answer(answer)
    assert "also reported by: Daily, Herald, Post" in text
    html = render_answer(answer)
    assert "also: Daily, Herald +1" in parse_html(html)


def test_cli_json_carries_also_reported_by(
    wire_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    wire_engine.close()
    assert main(["ask", "--json", QUESTION, "--no-seeds"]) == 0
    data = json.loads(capsys.readouterr().out)
    [wire] = [ref for ref in data["sources"] if ref["source"] == "Wire"]
    assert wire["also_reported_by"] == ["Daily", "Herald", "Post"]
    assert {"n", "article_id", "title", "url", "source", "published_at", "quote"} <= set(wire)


async def test_llm_answer_names_the_other_outlets(
    openai_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    engine = Engine(llm_settings(tmp_path, openai_server.url, auto_seed=False))
    try:
        engine.ingestor.ingest_articles(wire_articles())

        def reply(request: Request) -> Reply:
            n = passage_with(request, "stay on hold")
            return Reply(
                content=cited(
                    ("Central bank officials said interest rates would stay on hold.", [n])
                )
            )

        openai_server.respond_with(reply)
        answer = await engine.ask(QUESTION)
    finally:
        await engine.aclose()
    assert answer.mode == "llm" and not answer.abstained
    [ref] = answer.sources
    assert ref.source == "Wire" and ref.also_reported_by == ["Daily", "Herald", "Post"]


async def test_telegram_answer_lists_other_outlets_for_a_feed_syndicated_story(
    settings: Settings, botapi: BotApiEmulator
) -> None:
    s = bot_settings(
        settings, botapi, auto_seed=False, fetch_allowlist="127.0.0.1", feed_concurrency=1
    )
    engine = Engine(s)
    with LoopbackServer() as web:
        for outlet, text in syndicated().items():
            item = Item("Rates on hold", web.url(f"/{outlet}/rates"), text)
            body = rss2(outlet, [item])
            web.route(f"/{outlet}.xml", WebReply(body=body, content_type="application/rss+xml"))
            engine.add_feed(web.url(f"/{outlet}.xml"), name=f"{outlet} & Co")
        results = await engine.poll_feeds()
    assert [r.report.added for r in results] == [1, 0, 0, 0]
    try:
        async with run_bot(engine, s, botapi):
            botapi.private_message(1, QUESTION)
            [answer] = await botapi.wait_for("sendMessage")
    finally:
        engine.close()
    visible = parse_html(answer.text)
    assert "[1] Rates on hold · Wire & Co · " in visible
    assert "also: Daily & Co, Herald & Co +1" in visible


def _story_counts(settings: Settings, near_dup: bool) -> tuple[int, int, list[str], int]:
    engine = Engine(settings.updated(auto_seed=False, near_dup_enabled=near_dup))
    try:
        engine.ingestor.ingest_articles(wire_articles())
        briefing = BriefingBuilder(engine.store, engine.settings).build(day_window(DAY))
    finally:
        engine.close()
    rates = next(s for s in briefing.stories if "Rates" in s.headline)
    return rates.articles, rates.duplicates, rates.outlets, briefing.total_articles


def test_briefing_counts_copies_collapsed_at_ingest(tmp_path: Path) -> None:
    on = _story_counts(Settings(data_dir=tmp_path / "on"), near_dup=True)
    off = _story_counts(Settings(data_dir=tmp_path / "off"), near_dup=False)
    articles, duplicates, outlets, total = on
    assert articles == 5, "one stored article + four copies recorded as alternates"
    assert duplicates == 4
    assert outlets == ["Daily", "Herald", "Post", "Wire"]
    assert total == 6
    # the briefing's own copy detection (title + lead) may join fewer copies into copy
    # groups, but the story still counts the same articles and outlets
    assert (off[0], off[2], off[3]) == (articles, outlets, total)
