"""Feeds and URLs in the bot: admin commands, the polling job, forwarded-link offers —
the real PTB Application against the Bot API emulator, pages from a loopback web server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.config import Settings
from bot.engine import Engine
from bot.telegram.feed_handlers import ADMINS_ONLY
from tests.support.botapi import ApiCall, BotApiEmulator
from tests.support.content import Item, article_page, long_text, rss2
from tests.support.corpus import NEWS, ingest_news
from tests.support.telegram_bot import bot_settings, run_bot
from tests.support.tg_html import parse_html
from tests.support.webserver import LoopbackServer, Reply

ADMIN = 501
USER = 502
RSS = "application/rss+xml"


@pytest.fixture
def web() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        yield server


def feed_settings(settings: Settings, api: BotApiEmulator, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "auto_seed": False,
        "fetch_allowlist": "127.0.0.1",
        "fetch_total_timeout": 5,
        "telegram_admin_users": [ADMIN],
        "feed_poll_tick": 60,  # first scheduled round after 10 s: not within these tests
    }
    values.update(overrides)
    return bot_settings(settings, api, **values)


@pytest.fixture
def engine_for() -> Iterator[Callable[[Settings], Engine]]:
    made: list[Engine] = []

    def make(settings: Settings) -> Engine:
        made.append(Engine(settings))
        return made[-1]

    yield make
    for engine in made:
        engine.close()


async def until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def to(chat_id: int) -> Callable[[ApiCall], bool]:
    return lambda call: call.chat_id == chat_id


def two_story_feed(web: LoopbackServer, path: str = "/rss") -> str:
    items = [
        Item(f"Story {n}", web.url(f"/s{n}"), "x", guid=f"g{n}", content=long_text(f"story {n}"))
        for n in range(2)
    ]
    return web.route(path, Reply(body=rss2("Wire", items), content_type=RSS))


async def test_admin_addfeed_polls_it_at_once_and_reports(
    settings: Settings, botapi: BotApiEmulator, web: LoopbackServer, engine_for: Any
) -> None:
    url = two_story_feed(web)
    s = feed_settings(settings, botapi)
    engine = engine_for(s)
    async with run_bot(engine, s, botapi):
        botapi.private_message(ADMIN, f"/addfeed {url} Wire <desk>")
        added, report = await botapi.wait_for("sendMessage", count=2, where=to(ADMIN))
    assert parse_html(added.text).startswith("Added feed [1] Wire <desk>, polled every 30 min")
    assert "[1] 2 entries, 2 new: added 2" in parse_html(report.text)
    assert engine.articles.count() == 2
    assert engine.list_feeds()[0].name == "Wire <desk>"


async def test_polling_job_ingests_due_feeds_and_survives_broken_ones(
    settings: Settings, botapi: BotApiEmulator, web: LoopbackServer, engine_for: Any
) -> None:
    s = feed_settings(settings, botapi, feed_poll_tick=1)
    engine = engine_for(s)
    broken = web.route(
        "/broken", Reply(body=b"<?xml version='1.0'?><rss><channel><title>x</ti", content_type=RSS)
    )
    engine.add_feed(broken, name="Broken")
    engine.add_feed(two_story_feed(web), name="Wire")
    async with run_bot(engine, s, botapi):
        await until(lambda: engine.articles.count() == 2)
        await until(lambda: engine.feeds.find_feed(1).consecutive_failures >= 1)
        # the articles commit before the poll's success is recorded: wait for both
        await until(lambda: engine.feeds.find_feed(2).last_success_at is not None)
        botapi.private_message(ADMIN, "/feeds")
        [listing] = await botapi.wait_for("sendMessage", where=to(ADMIN))
    assert web.hits["/rss"] >= 1 and web.hits["/broken"] >= 1
    text = parse_html(listing.text)
    assert "[2] Wire" in text and "ok · 2 articles" in text
    assert "[1] Broken" in text and "last error:" in text


async def test_feeds_shows_a_paused_feed_with_its_error_escaped(
    settings: Settings, botapi: BotApiEmulator, web: LoopbackServer, engine_for: Any
) -> None:
    s = feed_settings(settings, botapi, feed_max_failures=1)
    engine = engine_for(s)
    down = web.route("/down", Reply(500, b"<h1>oops</h1>"))
    engine.add_feed(down, name='<Wire & "Co">')
    [result] = await engine.poll_feeds()
    assert result.paused
    async with run_bot(engine, s, botapi):
        botapi.private_message(ADMIN, "/feeds")
        [listing] = await botapi.wait_for("sendMessage", where=to(ADMIN))
        botapi.private_message(ADMIN, "/resumefeed 1")
        await botapi.wait_for("sendMessage", count=2, where=to(ADMIN))
        botapi.private_message(ADMIN, f"/removefeed {down}")
        *_, removed = await botapi.wait_for("sendMessage", count=3, where=to(ADMIN))
        botapi.private_message(ADMIN, "/removefeed 7")
        *_, missing = await botapi.wait_for("sendMessage", count=4, where=to(ADMIN))
    text = parse_html(listing.text)
    assert '[1] <Wire & "Co">' in text
    assert "PAUSED after 1 failures" in text
    assert "last error: HTTP 500" in text
    assert "/resumefeed" in text
    assert parse_html(removed.text).startswith('Removed feed [1] <Wire & "Co">')
    assert "no feed 7" in parse_html(missing.text)
    assert engine.list_feeds() == []


async def test_non_admins_are_refused_feed_and_add_commands(
    settings: Settings, botapi: BotApiEmulator, web: LoopbackServer, engine_for: Any
) -> None:
    s = feed_settings(settings, botapi)
    engine = engine_for(s)
    url = two_story_feed(web)
    async with run_bot(engine, s, botapi):
        for n, command in enumerate((f"/addfeed {url}", "/feeds", "/removefeed 1", f"/add {url}")):
            botapi.private_message(USER, command)
            replies = await botapi.wait_for("sendMessage", count=n + 1, where=to(USER))
    assert [parse_html(r.text) for r in replies] == [ADMINS_ONLY] * 4
    assert engine.list_feeds() == [] and engine.articles.count() == 0
    assert web.hits["/rss"] == 0


async def test_add_stores_the_article_and_replies_with_its_title(
    settings: Settings, botapi: BotApiEmulator, web: LoopbackServer, engine_for: Any
) -> None:
    s = feed_settings(settings, botapi)
    engine = engine_for(s)
    page = web.route("/story", Reply(body=article_page("Bridge <opens> & more", [long_text("b")])))
    async with run_bot(engine, s, botapi):
        replies = []
        for text in (f"/add {page}", f"/add {page}", "/add http://10.0.0.1/private", "/add"):
            botapi.private_message(ADMIN, text)  # one at a time: updates run concurrently
            sent = await botapi.wait_for("sendMessage", count=len(replies) + 1, where=to(ADMIN))
            replies.append(sent[-1])
        added, again, blocked, usage = replies
    assert parse_html(added.text) == "Added: Bridge <opens> & more"
    [article] = engine.sources()
    assert article.title == "Bridge <opens> & more" and article.url == page
    assert parse_html(again.text) == "Already in the corpus: Bridge <opens> & more"
    assert parse_html(blocked.text).startswith("Couldn't add http://10.0.0.1/private: ")
    assert "10.0.0.1" in parse_html(blocked.text).split(": ", 1)[1]
    assert parse_html(usage.text).startswith("Usage: /add URL")
    assert engine.articles.count() == 1


async def test_forwarded_link_offer_and_button_adds_the_article(
    settings: Settings, botapi: BotApiEmulator, web: LoopbackServer, engine_for: Any
) -> None:
    s = feed_settings(settings, botapi)
    engine = engine_for(s)
    page = web.route("/story", Reply(body=article_page("Harbour reopens", [long_text("h")])))
    async with run_bot(engine, s, botapi):
        botapi.forwarded(ADMIN, f"Worth a read: {page}.")
        [offer] = await botapi.wait_for("sendMessage", where=to(ADMIN))
        keyboard = offer.params["reply_markup"]["inline_keyboard"]
        assert keyboard == [[{"text": "Add to corpus", "callback_data": "addlink:0"}]]
        assert engine.articles.count() == 0, "nothing is added before the button is pressed"
        botapi.press_button(USER, offer.result, "addlink:0")
        [refused] = await botapi.wait_for("answerCallbackQuery")
        assert engine.articles.count() == 0 and web.hits["/story"] == 0
        botapi.press_button(ADMIN, offer.result, "addlink:0")
        await botapi.wait_for("answerCallbackQuery", count=2)
        [edit] = await botapi.wait_for("editMessageText")
    assert refused.params["text"] == ADMINS_ONLY and refused.params["show_alert"] is True
    assert parse_html(offer.text) == f"Add this link to the corpus?\n{page}"
    assert "Added: Harbour reopens" in parse_html(edit.text)
    assert "reply_markup" not in edit.params, "the pressed button goes away"
    assert [a.title for a in engine.sources()] == ["Harbour reopens"]


async def test_offer_with_several_links_keeps_the_other_buttons(
    settings: Settings, botapi: BotApiEmulator, web: LoopbackServer, engine_for: Any
) -> None:
    s = feed_settings(settings, botapi)
    engine = engine_for(s)
    first = web.route("/one", Reply(body=article_page("First story", [long_text("one")])))
    second = web.route("/two", Reply(body=article_page("Second story", [long_text("two")])))
    async with run_bot(engine, s, botapi):
        botapi.forwarded(ADMIN, f"{first} and also {second}")
        [offer] = await botapi.wait_for("sendMessage", where=to(ADMIN))
        botapi.press_button(ADMIN, offer.result, "addlink:1")
        [edit] = await botapi.wait_for("editMessageText")
    assert [b["text"] for b in offer.params["reply_markup"]["inline_keyboard"][0]] == [
        "Add 1",
        "Add 2",
    ]
    assert edit.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Add 1", "callback_data": "addlink:0"}]]
    }
    assert "Added: Second story" in parse_html(edit.text)
    assert [a.title for a in engine.sources()] == ["Second story"]


async def test_non_admin_forwarded_link_is_just_a_question(
    settings: Settings, botapi: BotApiEmulator, web: LoopbackServer, engine_for: Any
) -> None:
    s = feed_settings(settings, botapi)
    engine = engine_for(s)
    page = web.route("/story", Reply(body=article_page("Harbour reopens", [long_text("h")])))
    async with run_bot(engine, s, botapi):
        botapi.forwarded(USER, f"What about the harbour? {page}")
        [reply] = await botapi.wait_for("sendMessage", where=to(USER))
    assert "reply_markup" not in reply.params
    assert "corpus?" not in reply.text
    assert botapi.calls_to("sendChatAction", USER), "answered like any question"
    assert web.hits["/story"] == 0 and engine.articles.count() == 0


async def test_admin_commands_are_in_the_admins_menu_only(
    settings: Settings, botapi: BotApiEmulator, engine_for: Any
) -> None:
    s = feed_settings(settings, botapi, telegram_admin_users=[ADMIN, 777])
    botapi.fail_next(
        "setMyCommands",
        status=400,
        description="Bad Request: chat not found",
        when=lambda p: p.get("scope", {}).get("chat_id") == 777,
    )
    async with run_bot(engine_for(s), s, botapi):
        botapi.private_message(ADMIN, "/help")
        [help_reply] = await botapi.wait_for("sendMessage", where=to(ADMIN))
        botapi.private_message(USER, "/help")
        [user_help] = await botapi.wait_for("sendMessage", where=to(USER))
    public = {c["command"] for c in botapi.commands["all_private_chats"]}
    admin = {c["command"] for c in botapi.commands[f"chat:{ADMIN}"]}
    assert "addfeed" not in public and "feeds" not in public
    assert {"add", "addfeed", "feeds", "removefeed", "resumefeed", "ask"} <= admin
    assert "chat:777" not in botapi.commands, "an admin who never started the bot is skipped"
    assert "/addfeed URL [name]" in parse_html(help_reply.text)
    assert "/addfeed" not in parse_html(user_help.text)


async def test_admin_removes_an_article_by_id_url_or_cited_source(
    settings: Settings, botapi: BotApiEmulator, engine_for: Any
) -> None:
    s = feed_settings(settings, botapi)
    engine = engine_for(s)
    ingest_news(engine)
    bridge = engine.articles.find_by_url("https://news.example.com/portmere/bridge?id=1&lang=en")
    fund = engine.articles.find_by_url("https://news.example.com/portmere/fund")
    assert bridge is not None and fund is not None
    async with run_bot(engine, s, botapi):
        botapi.private_message(USER, "/remove 1")
        [refused] = await botapi.wait_for("sendMessage", where=to(USER))
        botapi.private_message(ADMIN, "When will the harbour bridge reopen?")
        [answer] = await botapi.wait_for("sendMessage", where=to(ADMIN))
        assert "[1] Harbour bridge" in parse_html(answer.text)
        stored = botapi.chats[ADMIN].messages[answer.result["message_id"]]
        botapi.reply(stored, ADMIN, "/remove 1")
        botapi.private_message(ADMIN, "/remove https://news.example.com/portmere/fund 99999")
        replies = await botapi.wait_for("sendMessage", count=3, where=to(ADMIN))
    assert parse_html(refused.text) == ADMINS_ONLY
    # updates are handled concurrently: the two commands' replies may come in either order
    by_url, removed = sorted(
        (parse_html(r.text) for r in replies[1:]), key=lambda t: "Harbour" in t
    )
    assert (
        removed == f'Removed: Harbour bridge <closed> after "Storm Ada" & floods (article {bridge})'
    )
    assert by_url.splitlines() == [
        f"Removed: Portmere mayor announces flood relief fund (article {fund})",
        "Not in the corpus: 99999",
    ]
    assert engine.articles.get(bridge) is None and engine.articles.get(fund) is None
    assert engine.articles.count() == len(NEWS) - 2
