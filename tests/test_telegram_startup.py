"""Optional start-up calls (the command menus) never stop the bot: it serves and retries."""

from __future__ import annotations

import pytest

from bot.config import Settings
from tests.support.botapi import BotApiEmulator
from tests.support.telegram_bot import RecordingEngine, bot_settings, run_bot
from tests.support.tg_html import parse_html

USER = 1001


@pytest.mark.parametrize(
    ("status", "description"),
    [(500, "Internal Server Error"), (404, "Not Found")],  # 404: a server without the method
    ids=["5xx", "method-missing"],
)
async def test_failing_command_menu_is_retried_while_the_bot_serves(
    news: RecordingEngine,
    settings: Settings,
    botapi: BotApiEmulator,
    caplog: pytest.LogCaptureFixture,
    status: int,
    description: str,
) -> None:
    botapi.fail_next(
        "setMyCommands", status=status, retry_after=None, description=description, times=2
    )
    config = bot_settings(settings, botapi, telegram_commands_retry_seconds=0.2)
    async with run_bot(news, config, botapi):
        botapi.private_message(USER, "/stats")
        [reply] = await botapi.wait_for("sendMessage")
        # first attempt fails, the retry after 0.2 s fails, the one after 0.4 s sets both menus
        calls = await botapi.wait_for("setMyCommands", count=2, timeout=5)
    assert "articles: 3" in parse_html(reply.text)
    assert len(botapi.calls_to("setMyCommands")) == 4
    assert {tuple(sorted(c.params["scope"].items())) for c in calls} == {
        (("type", "all_private_chats"),),
        (("type", "all_group_chats"),),
    }
    assert "could not set the command menu" in caplog.text
