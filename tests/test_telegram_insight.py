"""/timeline, /trend and disagreements in /brief through the real Application and the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Settings
from bot.engine import Engine
from tests.support.botapi import BotApiEmulator
from tests.support.telegram_bot import EmulatedClock, bot_settings, run_bot
from tests.support.tg_html import parse_html

FIXTURE = Path(__file__).parent / "fixtures" / "insight_news.jsonl"
USER = 3001


@pytest.fixture
def engine(settings: Settings, botapi: BotApiEmulator) -> Iterator[Engine]:
    eng = Engine(bot_settings(settings.updated(**{"auto_seed": False}), botapi))
    eng.ingest([FIXTURE])
    yield eng
    eng.close()


async def reply_to(api: BotApiEmulator, text: str, method: str = "sendMessage") -> list:
    before = len(api.calls_to(method, USER))
    api.private_message(USER, text)
    calls = await api.wait_for(
        method, count=before + 1, where=lambda c: c.chat_id == USER, timeout=15
    )
    return calls[before:]


async def test_timeline_command_replies_with_dated_cited_lines(
    engine: Engine, botapi: BotApiEmulator
) -> None:
    async with run_bot(engine, engine.settings, botapi):
        [call] = await reply_to(botapi, "/timeline Kestrel dam")
        usage = await reply_to(botapi, "/timeline")
    html = call.text
    text = parse_html(html)
    assert text.startswith("Timeline: Kestrel dam")
    lines = [line for line in text.splitlines() if line.startswith("Oct ")]
    assert lines[0].startswith("Oct 02 Dam breach floods Portmere valley [1] (+3 outlets)")
    assert len(lines) >= 4
    assert '<a href="https://gazette.example/dam-breach">[1]</a>' in html
    assert "Usage: /timeline" in usage[0].text


async def test_trend_command_sends_a_png_chart_as_a_photo(
    engine: Engine, botapi: BotApiEmulator
) -> None:
    async with run_bot(engine, engine.settings, botapi):
        [photo] = await reply_to(botapi, "/trend Kestrel dam, orchestra", "sendPhoto")
        [nothing] = await reply_to(botapi, "/trend zeppelin")
    assert photo.ok
    assert photo.params["photo"].startswith(b"\x89PNG\r\n\x1a\n")
    caption = photo.params["caption"]
    assert "Kestrel dam: 10 articles, peak Oct 02 (6)" in caption
    assert "orchestra: 1 article" in caption
    assert photo.result["photo"][0]["file_size"] == len(photo.params["photo"])
    assert "zeppelin: no articles" in nothing.text


async def test_brief_shows_where_sources_differ_under_the_story(
    engine: Engine, botapi: BotApiEmulator
) -> None:
    clock = EmulatedClock(datetime(2023, 10, 2, 23, 0, tzinfo=UTC))
    async with run_bot(engine, engine.settings, botapi, clock=clock):
        calls = await reply_to(botapi, "/brief")
    html = calls[0].text
    text = parse_html(html)
    assert "Sources differ on the number killed: “At least 12 killed” [" in text
    assert '<a href="https://northpost.example/dam">' in html
