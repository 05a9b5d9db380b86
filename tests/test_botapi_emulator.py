"""The Bot API emulator itself, driven by a plain PTB `Bot`, so other features can rely on it."""

from __future__ import annotations

import pytest
from telegram import Bot, BotCommand
from telegram.constants import ParseMode
from telegram.error import BadRequest, InvalidToken, RetryAfter

from tests.support.botapi import BotApiEmulator


async def test_chat_queries_commands_and_limits(botapi: BotApiEmulator) -> None:
    botapi.chat(-42, title="Readers")
    async with Bot(botapi.token, base_url=botapi.base_url) as bot:
        assert (await bot.get_me()).username == botapi.username
        assert (await bot.get_chat(-42)).title == "Readers"
        assert (await bot.get_chat_member(-42, 7)).status == "member"
        await bot.set_my_commands([BotCommand("ask", "ask")])
        assert [c.command for c in await bot.get_my_commands()] == ["ask"]
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await bot.send_message(-42, "x" * 4097)
        with pytest.raises(BadRequest, match=r"(?i)can.t parse entities"):
            await bot.send_message(-42, "<b>open", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(999, "hi")
        sent = await bot.send_message(-42, "<b>fine</b> &amp; valid", parse_mode=ParseMode.HTML)
        assert sent.text == "fine & valid"
        with pytest.raises(BadRequest, match=r"(?i)not modified"):
            await bot.edit_message_text("fine & valid", -42, sent.message_id)
        botapi.fail_next("sendMessage", status=429, retry_after=3)
        with pytest.raises(RetryAfter):
            await bot.send_message(-42, "later")
    with pytest.raises(InvalidToken):
        async with Bot("1:wrong", base_url=botapi.base_url):
            pass


async def test_updates_are_long_polled_and_confirmed_by_offset(botapi: BotApiEmulator) -> None:
    async with Bot(botapi.token, base_url=botapi.base_url) as bot:
        assert await bot.get_updates(timeout=0) == ()
        botapi.private_message(5, "one")
        botapi.topic_message(-77, 5, "two", thread_id=3)
        first = await bot.get_updates(timeout=1)
        assert [u.message.text for u in first] == ["one", f"@{botapi.username} two"]
        assert first[1].message.is_topic_message and first[1].message.message_thread_id == 3
        again = await bot.get_updates(offset=first[0].update_id + 1, timeout=0)
        assert [u.update_id for u in again] == [first[1].update_id]
        assert await bot.get_updates(offset=first[1].update_id + 1, timeout=0) == ()
