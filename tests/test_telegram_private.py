"""Private chats through the real PTB Application and the Bot API emulator."""

from __future__ import annotations

import asyncio

import pytest

from bot.config import Settings
from bot.engine import Engine
from tests.support.botapi import BotApiEmulator
from tests.support.corpus import long_article
from tests.support.telegram_bot import RecordingEngine, bot_settings, run_bot
from tests.support.tg_html import parse_html

USER = 1001


async def test_dm_question_gets_cited_html_answer(
    news: RecordingEngine, settings: Settings, botapi: BotApiEmulator
) -> None:
    async with run_bot(news, bot_settings(settings, botapi), botapi):
        botapi.private_message(USER, "Why was the harbour bridge closed?")
        [answer] = await botapi.wait_for("sendMessage")
    typing = botapi.calls_to("sendChatAction", USER)
    assert typing and typing[0].params["action"] == "typing"
    assert typing[0].at <= answer.at
    assert answer.params["parse_mode"] == "HTML"
    visible = parse_html(answer.text)
    assert "Storm Ada flooded the approach roads" in visible
    assert '<a href="https://news.example.com/portmere/bridge?id=1&amp;lang=en">[1]</a>' in (
        answer.text
    )
    assert "<b>Sources</b>" in answer.text
    assert answer.params["link_preview_options"] == {"is_disabled": True}
    assert {"all_private_chats", "all_group_chats"} <= set(botapi.commands)
    assert news.asked[0]["chat_id"] == str(USER)


async def test_titles_with_markup_characters_arrive_as_valid_html(
    news: RecordingEngine, settings: Settings, botapi: BotApiEmulator
) -> None:
    async with run_bot(news, bot_settings(settings, botapi), botapi):
        botapi.private_message(USER, "When will the harbour bridge reopen?")
        [answer] = await botapi.wait_for("sendMessage")
    visible = parse_html(answer.text)
    assert 'Harbour bridge <closed> after "Storm Ada" & floods' in visible
    assert "Portmere <Gazette> & Co · 2023-10-16" in visible


async def test_private_follow_up_passes_the_earlier_turn(
    news: RecordingEngine, settings: Settings, botapi: BotApiEmulator
) -> None:
    async with run_bot(news, bot_settings(settings, botapi), botapi):
        botapi.private_message(USER, "Why was the harbour bridge closed?")
        await botapi.wait_for("sendMessage")
        botapi.private_message(USER, "When will it reopen?")
        await botapi.wait_for("sendMessage", count=2)
        botapi.private_message(USER, "/reset")
        await botapi.wait_for("sendMessage", count=3)
        botapi.private_message(USER, "Who is the mayor of Portmere?")
        await botapi.wait_for("sendMessage", count=4)
    first, second, third = news.asked
    assert first["history"] == []
    assert [t.question for t in second["history"]] == ["Why was the harbour bridge closed?"]
    assert "Storm Ada" in second["history"][0].answer
    assert third["history"] == [], "/reset forgets the context"


async def test_non_allowed_user_gets_exactly_one_refusal(
    news: RecordingEngine, settings: Settings, botapi: BotApiEmulator
) -> None:
    config = bot_settings(settings, botapi, telegram_allowed_users=[USER])
    async with run_bot(news, config, botapi):
        for text in ("hello?", "What about the bridge?", "/start"):
            botapi.private_message(666, text)
        botapi.private_message(USER, "Why was the harbour bridge closed?")
        await botapi.wait_for("sendMessage", where=lambda c: c.chat_id == USER)
        await botapi.settle(0.2)
    refusals = botapi.sent_messages(666)
    assert len(refusals) == 1
    assert "not on its list" in refusals[0].text
    assert not botapi.calls_to("sendChatAction", 666)
    assert [a["question"] for a in news.asked] == ["Why was the harbour bridge closed?"]


async def test_second_question_while_busy_is_told_to_wait(
    news: RecordingEngine, settings: Settings, botapi: BotApiEmulator
) -> None:
    botapi.response_delay = 0.3  # a slow Telegram keeps the first question in flight
    async with run_bot(news, bot_settings(settings, botapi), botapi):
        botapi.private_message(USER, "Why was the harbour bridge closed?")
        await botapi.wait_for("sendChatAction")
        botapi.private_message(USER, "Who is the mayor?")
        calls = await botapi.wait_for("sendMessage", count=2)
    texts = sorted(c.text for c in calls)
    assert any("still working on your last question" in t for t in texts)
    assert len(news.asked) == 1


async def test_rate_limit_answers_with_a_friendly_message(
    news: RecordingEngine, settings: Settings, botapi: BotApiEmulator
) -> None:
    config = bot_settings(settings, botapi, telegram_rate_limit=2, telegram_rate_window=60)
    async with run_bot(news, config, botapi):
        for n in range(3):
            botapi.private_message(USER, f"Who is the mayor of Portmere? ({n})")
            await botapi.wait_for("sendMessage", count=n + 1)
    last = botapi.sent_messages(USER)[-1]
    assert "try again in" in last.text
    assert len(news.asked) == 2


async def test_429_delays_the_answer_instead_of_losing_it(
    news: RecordingEngine, settings: Settings, botapi: BotApiEmulator
) -> None:
    botapi.fail_next("sendMessage", status=429, retry_after=1)
    async with run_bot(news, bot_settings(settings, botapi), botapi):
        botapi.private_message(USER, "Why was the harbour bridge closed?")
        [delivered] = await botapi.wait_for("sendMessage", timeout=8)
    [refused] = botapi.calls_to("sendMessage")[:1]
    assert not refused.ok and "retry after" in (refused.error or "")
    assert delivered.at - refused.at >= 1.0
    assert "Storm Ada" in delivered.text


async def test_rejected_markup_is_resent_as_plain_text(
    news: RecordingEngine, settings: Settings, botapi: BotApiEmulator
) -> None:
    botapi.fail_next(
        "sendMessage",
        status=400,
        description='Bad Request: can\'t parse entities: Unsupported start tag "x"',
        when=lambda p: p.get("parse_mode") == "HTML",
    )
    async with run_bot(news, bot_settings(settings, botapi), botapi):
        botapi.private_message(USER, "Why was the harbour bridge closed?")
        [plain] = await botapi.wait_for("sendMessage")
    assert "parse_mode" not in plain.params
    assert "<a" not in plain.text and "&amp;" not in plain.text
    assert "Storm Ada flooded the approach roads" in plain.text
    assert "(https://news.example.com/portmere/bridge?id=1&lang=en)" in plain.text


async def test_six_thousand_character_answer_arrives_as_two_valid_messages(
    settings: Settings, botapi: BotApiEmulator
) -> None:
    config = settings.updated(
        auto_seed=False,
        chunk_tokens=2000,
        chunk_max_tokens=4000,
        chunk_min_tokens=10,
        max_answer_sentences=10,
    )
    engine = Engine(config)
    engine.ingestor.ingest_articles([long_article()])
    try:
        answer = await engine.ask("zeppelin harbour festival")
        assert len(answer.answer) >= 5800
        async with run_bot(engine, bot_settings(config, botapi), botapi):
            botapi.private_message(USER, "zeppelin harbour festival")
            await botapi.wait_for("sendMessage", count=2)
            await botapi.settle(0.2)
    finally:
        engine.close()
    parts = botapi.sent_messages(USER)
    assert len(parts) == 2
    visible = [parse_html(p.text) for p in parts]
    assert all(len(v) <= 4096 for v in visible)
    assert "".join(visible).count("zeppelin harbour festival report") == 10
    assert visible[1].rstrip().endswith("Example · 2023-10-01")


async def test_start_help_stats_sources_commands(
    news: RecordingEngine, settings: Settings, botapi: BotApiEmulator
) -> None:
    async with run_bot(news, bot_settings(settings, botapi), botapi):
        for n, command in enumerate(("/start", "/help", "/stats", "/sources")):
            botapi.private_message(USER, command)
            await botapi.wait_for("sendMessage", count=n + 1)
    start, help_, stats, sources = (parse_html(c.text) for c in botapi.sent_messages(USER))
    assert "I know 3 articles from 2023-10-12 to 2023-10-17" in start
    assert "/ask" in help_
    assert "articles: 3" in stats
    assert sources.index("Portmere mayor") < sources.index("Orchestra of Velden")
    assert not news.asked


async def test_engine_failure_gets_an_apology_and_a_report_to_admins(
    settings: Settings, botapi: BotApiEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    engine = Engine(settings.updated(auto_seed=False))
    engine.close()  # a closed database makes every question fail inside the engine
    botapi.chat(-500, type="supergroup")
    config = bot_settings(settings, botapi, telegram_admin_log_chat=-500)
    async with run_bot(engine, config, botapi):
        botapi.private_message(USER, "Why was the harbour bridge closed?")
        [apology] = await botapi.wait_for("sendMessage", where=lambda c: c.chat_id == USER)
        [report] = await botapi.wait_for("sendMessage", where=lambda c: c.chat_id == -500)
    assert "Sorry" in apology.text and "Traceback" not in apology.text
    assert "<pre>" in report.text and "ProgrammingError" in parse_html(report.text)
    assert botapi.token not in report.text
    assert botapi.token not in caplog.text
    await asyncio.sleep(0)


async def test_typing_is_refreshed_until_the_answer_is_out(
    news: RecordingEngine, settings: Settings, botapi: BotApiEmulator
) -> None:
    botapi.delays["sendMessage"] = 0.6  # a slow delivery keeps the question in flight
    config = bot_settings(settings, botapi, telegram_typing_interval=0.1)
    async with run_bot(news, config, botapi):
        botapi.private_message(USER, "Why was the harbour bridge closed?")
        [answer] = await botapi.wait_for("sendMessage")
        await asyncio.sleep(0.3)
    actions = botapi.calls_to("sendChatAction", USER)
    assert len(actions) >= 4
    assert not [a for a in actions if a.at > answer.at + 0.6 + 0.15], "refresh stops after delivery"


async def test_a_refused_typing_indicator_does_not_stop_the_answer(
    news: RecordingEngine, settings: Settings, botapi: BotApiEmulator
) -> None:
    botapi.fail_next("sendChatAction", status=429, retry_after=5)
    async with run_bot(news, bot_settings(settings, botapi), botapi):
        botapi.private_message(USER, "Why was the harbour bridge closed?")
        [answer] = await botapi.wait_for("sendMessage", timeout=3)
    assert "Storm Ada" in answer.text
    assert answer.at - botapi.calls_to("sendChatAction")[0].at < 2, "no 5 s wait for typing"
