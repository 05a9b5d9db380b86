"""Groups, follow-ups across restarts, and forum topics, through the real Application."""

from __future__ import annotations

from bot.config import Settings
from tests.support.botapi import BotApiEmulator
from tests.support.telegram_bot import RecordingEngine, bot_settings, run_bot
from tests.support.tg_html import parse_html

GROUP = -100200
ALICE, BOB = 11, 12


async def test_group_chatter_is_ignored_and_a_mention_gets_a_reply(
    news: RecordingEngine, settings: Settings, botapi: BotApiEmulator
) -> None:
    async with run_bot(news, bot_settings(settings, botapi), botapi):
        botapi.group_message(GROUP, ALICE, "Why was the harbour bridge closed?")
        botapi.group_message(GROUP, BOB, "no idea, ask @someone_else")
        await botapi.settle(0.3)
        assert not [c for c in botapi.calls if c.chat_id == GROUP]
        asked = botapi.mention(GROUP, BOB, "why was the harbour bridge closed?")
        [answer] = await botapi.wait_for("sendMessage")
    assert answer.params["reply_parameters"]["message_id"] == asked["message_id"]
    assert "Storm Ada" in parse_html(answer.text)
    assert news.asked[0]["question"] == "why was the harbour bridge closed?"
    assert news.asked[0]["chat_id"] == str(GROUP)


async def test_ask_command_with_bot_name_works_in_groups(
    news: RecordingEngine, settings: Settings, botapi: BotApiEmulator
) -> None:
    async with run_bot(news, bot_settings(settings, botapi), botapi):
        botapi.group_message(GROUP, ALICE, f"/ask@{botapi.username} Who is the mayor of Portmere?")
        botapi.group_message(GROUP, ALICE, "/ask@another_bot Who is the mayor of Portmere?")
        [answer] = await botapi.wait_for("sendMessage")
        await botapi.settle(0.2)
    assert "Ilse Varga" in parse_html(answer.text)
    assert len(news.asked) == 1


async def test_reply_to_the_bot_is_a_follow_up_even_after_a_restart(
    news: RecordingEngine, settings: Settings, botapi: BotApiEmulator
) -> None:
    config = bot_settings(settings, botapi)
    async with run_bot(news, config, botapi):
        botapi.mention(GROUP, ALICE, "Why was the harbour bridge closed?")
        [first] = await botapi.wait_for("sendMessage")
        follow = botapi.reply(first.result, BOB, "and when does it reopen?")
        [_, second] = await botapi.wait_for("sendMessage", count=2)
    assert [t.question for t in news.asked[1]["history"]] == ["Why was the harbour bridge closed?"]
    assert second.params["reply_parameters"]["message_id"] == follow["message_id"]

    news.asked.clear()
    async with run_bot(news, config, botapi):  # a new Application: only the database remains
        botapi.reply(second.result, ALICE, "who pays for the repairs?")
        await botapi.wait_for("sendMessage", count=3)
        botapi.mention(GROUP, ALICE, "Who is the mayor of Portmere?")
        await botapi.wait_for("sendMessage", count=4)
    after_restart, fresh = news.asked
    assert [t.question for t in after_restart["history"]] == [
        "Why was the harbour bridge closed?",
        "and when does it reopen?",
    ]
    assert fresh["history"] == [], "a new mention starts a new conversation"


async def test_group_never_sees_private_context(
    news: RecordingEngine, settings: Settings, botapi: BotApiEmulator
) -> None:
    async with run_bot(news, bot_settings(settings, botapi), botapi):
        botapi.private_message(ALICE, "Why was the harbour bridge closed?")
        await botapi.wait_for("sendMessage")
        botapi.mention(GROUP, ALICE, "when does it reopen?")
        await botapi.wait_for("sendMessage", count=2)
        botapi.private_message(ALICE, "and who pays for it?")
        await botapi.wait_for("sendMessage", count=3)
    assert news.asked[1]["history"] == []
    assert [t.question for t in news.asked[2]["history"]] == [
        "Why was the harbour bridge closed?"
    ], "the private chat keeps its own context, without the group's turn"


async def test_forum_topic_reply_stays_in_the_topic(
    news: RecordingEngine, settings: Settings, botapi: BotApiEmulator
) -> None:
    async with run_bot(news, bot_settings(settings, botapi), botapi):
        botapi.topic_message(GROUP, ALICE, "Where will the Velden orchestra tour?", thread_id=77)
        [answer] = await botapi.wait_for("sendMessage")
        botapi.reply(answer.result, BOB, "where will it play?")
        [_, follow_up] = await botapi.wait_for("sendMessage", count=2)
    assert answer.params["message_thread_id"] == 77
    assert follow_up.params["message_thread_id"] == 77
    assert all(c.params.get("message_thread_id") == 77 for c in botapi.calls_to("sendChatAction"))
    assert "tour of Japan" in parse_html(answer.text)
    assert "[1]" in answer.text and "[1]</a>" not in answer.text, "no URL → plain marker"


async def test_group_allowlist_ignores_other_groups(
    news: RecordingEngine, settings: Settings, botapi: BotApiEmulator
) -> None:
    config = bot_settings(settings, botapi, telegram_allowed_chats=[GROUP])
    async with run_bot(news, config, botapi):
        botapi.mention(-999, ALICE, "Who is the mayor of Portmere?")
        botapi.mention(-999, ALICE, "Who is the mayor of Portmere?")
        botapi.mention(GROUP, ALICE, "Who is the mayor of Portmere?")
        await botapi.wait_for("sendMessage", where=lambda c: c.chat_id == GROUP)
        await botapi.settle(0.2)
    assert len(botapi.sent_messages(-999)) == 1, "one polite refusal, then silence"
    assert len(news.asked) == 1
