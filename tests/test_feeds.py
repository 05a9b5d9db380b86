"""Feeds end to end over a loopback server: parse, conditional GET, dedupe, teasers, failures,
syndicated copies collapsed into alternates."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Settings
from bot.engine import Engine
from bot.errors import BriefbotError
from bot.fetch.errors import BlockedAddress
from tests.support.content import WIRE, Item, article_page, atom, long_text, rss1, rss2
from tests.support.webserver import LoopbackServer, Reply, Request

NOW = datetime(2030, 1, 5, 12, 0, tzinfo=UTC)  # after any real "added_at"
RSS = "application/rss+xml"


@pytest.fixture
def web() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        yield server


@pytest.fixture
def settings(tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(
        data_dir=tmp_path / "data",
        auto_seed=False,
        fetch_allowlist="127.0.0.1",
        fetch_total_timeout=5,
        feed_max_failures=3,
    )


def etag_feed(body: bytes, etag: str = '"v1"') -> object:
    def reply(request: Request) -> Reply:
        if request.headers.get("if-none-match") == etag:
            return Reply(304, content_type=None)
        return Reply(body=body, content_type=RSS, headers={"ETag": etag})

    return reply


async def test_rss_feed_stored_then_304(engine: Engine, web: LoopbackServer) -> None:
    items = [
        Item(f"Story {n}", web.url(f"/s{n}"), "teaser", guid=f"g{n}", content=long_text(f"t{n}"))
        for n in range(3)
    ]
    web.route("/rss", etag_feed(rss2("Wire", items)))
    feed = engine.add_feed(web.url("/rss"), name="Wire")

    first = await engine.poll_feeds(now=NOW)
    assert first[0].status == "ok", first[0].error
    assert (first[0].entries, first[0].report.added, first[0].pages_fetched) == (3, 3, 0)
    second = await engine.poll_feeds(now=NOW + timedelta(hours=1))
    assert second[0].status == "not_modified"
    assert web.requests[-1].headers["if-none-match"] == '"v1"'
    assert engine.articles.count() == 3
    stored = engine.sources()
    assert {a.source for a in stored} == {"Wire"}
    assert engine.list_feeds()[0].articles_added == 3
    assert engine.feeds.repo.require(feed.id).last_error is None


async def test_atom_and_rss1_feeds_parse(engine: Engine, web: LoopbackServer) -> None:
    web.route(
        "/atom",
        Reply(
            body=atom("A", [Item("Atom one", web.url("/a1"), long_text("atom"))]),
            content_type="application/atom+xml",
        ),
    )
    web.route(
        "/rdf",
        Reply(
            body=rss1("R", [Item("Rdf one", web.url("/r1"), long_text("rdf"))]),
            content_type="application/rdf+xml",
        ),
    )
    engine.add_feed(web.url("/atom"))
    engine.add_feed(web.url("/rdf"))
    results = await engine.poll_feeds(now=NOW)
    assert [r.report.added for r in results] == [1, 1], [r.error for r in results]
    assert sorted(a.title for a in engine.sources()) == ["Atom one", "Rdf one"]
    assert {a.source for a in engine.sources()} == {"A", "R"}


async def test_entries_repeating_across_polls_stored_once(
    settings: Settings, web: LoopbackServer
) -> None:
    state = {"items": [Item("One", web.url("/1"), long_text("one"), guid="1")]}
    web.route("/rss", lambda _r: Reply(body=rss2("F", state["items"]), content_type=RSS))
    engine = Engine(settings)
    engine.add_feed(web.url("/rss"))
    assert (await engine.poll_feeds(now=NOW))[0].new_entries == 1
    engine.close()

    state["items"] = [*state["items"], Item("Two", web.url("/2"), long_text("two"), guid="2")]
    restarted = Engine(settings)
    try:
        result = (await restarted.poll_feeds(now=NOW + timedelta(hours=1)))[0]
        assert (result.entries, result.new_entries, result.report.added) == (2, 1, 1)
        again = (await restarted.poll_feeds(now=NOW + timedelta(hours=2)))[0]
        assert (again.new_entries, again.report.added) == (0, 0)
        assert restarted.articles.count() == 2
        assert restarted.list_feeds()[0].entries_seen == 2
    finally:
        restarted.close()


async def test_teasers_are_completed_from_the_page(engine: Engine, web: LoopbackServer) -> None:
    paragraphs = [long_text("harbour"), "The harbour master said repairs would take a year."]
    web.route("/full", Reply(body=article_page("Harbour reopens", paragraphs, author="Ann Lee")))
    items = [
        Item("Harbour reopens", web.url("/full"), "Short teaser…", guid="h"),
        Item("Gone story", web.url("/gone"), "Only the summary survives here.", guid="g"),
    ]
    web.route("/rss", Reply(body=rss2("Port", items), content_type=RSS))
    engine.add_feed(web.url("/rss"))
    result = (await engine.poll_feeds(now=NOW))[0]
    assert (result.pages_fetched, result.pages_failed, result.report.added) == (1, 1, 2)
    assert any("HTTP 404" in w.reason and "summary" in w.reason for w in result.report.warnings)
    full = next(a for a in engine.sources() if a.title == "Harbour reopens")
    article = engine.articles.get(full.id)
    assert article is not None
    assert "repairs would take a year" in article.text
    assert article.author == "Ann Lee"
    assert article.url == web.url("/full")
    gone = next(a for a in engine.sources() if a.title == "Gone story")
    assert engine.articles.get(gone.id).text == "Only the summary survives here."  # type: ignore[union-attr]


async def test_broken_feeds_back_off_and_pause(engine: Engine, web: LoopbackServer) -> None:
    web.route(
        "/broken", Reply(body=b"<?xml version='1.0'?><rss><channel><title>x</ti", content_type=RSS)
    )
    web.route(
        "/cut", Reply(body=b"<rss version='2.0'><channel><item><title>half", content_type=RSS)
    )
    web.route("/html", Reply(body=b"<html><body>hi</body></html>"))
    web.route(
        "/html-as-xml", Reply(body=b"<html><body><p>hi</p></body></html>", content_type="text/xml")
    )
    web.route(
        "/rss",
        Reply(body=rss2("ok", [Item("Fine", web.url("/f"), long_text("f"))]), content_type=RSS),
    )
    for path in ("/broken", "/cut", "/html", "/html-as-xml", "/rss"):
        engine.add_feed(web.url(path), interval_minutes=10)

    results = await engine.poll_feeds(now=NOW)
    errors = {r.url.rsplit("/", 1)[1]: r.error for r in results}
    assert "malformed" in errors["broken"] or "not an RSS" in errors["broken"]
    assert "malformed feed" in (errors["cut"] or "")  # only an empty, unclosed item
    assert "unexpected content type text/html" in (errors["html"] or "")
    assert "not an RSS or Atom feed" in (errors["html-as-xml"] or "")
    assert errors["rss"] is None
    broken = engine.feeds.find_feed(web.url("/broken"))
    assert broken.consecutive_failures == 1
    assert broken.next_poll_at == NOW + timedelta(minutes=10)

    for hours in (1, 2):
        await engine.poll_feeds(now=NOW + timedelta(hours=hours))
    broken = engine.feeds.find_feed(web.url("/broken"))
    assert broken.paused and broken.consecutive_failures == 3 and broken.last_error
    healthy = engine.feeds.find_feed(web.url("/rss"))
    assert not healthy.paused and healthy.consecutive_failures == 0
    later = await engine.poll_due_feeds(NOW + timedelta(days=3))
    assert [r.url for r in later] == [web.url("/rss")]
    resumed = engine.resume_feed(broken.id)
    assert not resumed.paused and resumed.consecutive_failures == 0


async def test_schedule_respects_interval_and_global_minimum(
    settings: Settings, web: LoopbackServer
) -> None:
    web.route(
        "/rss", Reply(body=rss2("F", [Item("A", web.url("/a"), long_text("a"))]), content_type=RSS)
    )
    engine = Engine(settings.updated(feed_min_interval=5))
    try:
        with pytest.raises(BriefbotError, match="at least 5 minutes"):
            engine.add_feed(web.url("/rss"), interval_minutes=2)
        engine.add_feed(web.url("/rss"), interval_minutes=30)
        assert len(await engine.poll_due_feeds(NOW)) == 1
        assert await engine.poll_due_feeds(NOW + timedelta(minutes=29)) == []
        assert len(await engine.poll_due_feeds(NOW + timedelta(minutes=30))) == 1
        with pytest.raises(BriefbotError, match="already added"):
            engine.add_feed(web.url("/rss"))
        assert engine.remove_feed(web.url("/rss")).url == web.url("/rss")
        assert engine.list_feeds() == []
        assert engine.articles.count() == 1
    finally:
        engine.close()


async def test_syndicated_copies_collapse_to_one_with_alternates(
    engine: Engine, web: LoopbackServer
) -> None:
    variants = {
        "wire": WIRE,
        "daily": WIRE.replace("on Tuesday", "on Tuesday morning") + " Reporting by Daily staff.",
        "herald": "LONDON (Herald) - " + WIRE.replace("closely", "very closely"),
        "post": WIRE,
    }
    for outlet, text in variants.items():
        item = Item(f"Rates on hold ({outlet})", web.url(f"/{outlet}/rates"), text, guid=outlet)
        web.route(f"/{outlet}.xml", Reply(body=rss2(outlet.title(), [item]), content_type=RSS))
        engine.add_feed(web.url(f"/{outlet}.xml"), name=outlet.title())
    engine.settings.feeds.concurrency = 1
    results = await engine.poll_feeds(now=NOW)
    assert sum(r.report.added for r in results) == 1
    assert sum(r.report.near_duplicates for r in results) == 2
    assert sum(r.report.duplicates for r in results) == 1
    (canonical,) = engine.sources()
    alternates = engine.alternates_for([canonical.id])[canonical.id]
    assert sorted(a.source or "" for a in alternates) == ["Daily", "Herald", "Post"]
    assert all(a.similarity >= 0.8 for a in alternates)
    assert {a.url for a in alternates} == {
        web.url(f"/{o}/rates") for o in ("daily", "herald", "post")
    }


async def test_distinct_stories_are_not_collapsed(engine: Engine, web: LoopbackServer) -> None:
    other = WIRE.replace("Central bank officials", "Football club officials").replace(
        "interest rates", "ticket prices"
    )
    items = [
        Item("Rates", web.url("/a"), WIRE),
        Item("Tickets", web.url("/b"), long_text("tickets")),
    ]
    items.append(Item("Prices", web.url("/c"), other[: len(other) // 2] + long_text("club")))
    web.route("/rss", Reply(body=rss2("F", items), content_type=RSS))
    engine.add_feed(web.url("/rss"))
    result = (await engine.poll_feeds(now=NOW))[0]
    assert (result.report.added, result.report.near_duplicates) == (3, 0)


async def test_near_duplicate_detection_can_be_switched_off(
    settings: Settings, web: LoopbackServer
) -> None:
    engine = Engine(settings.updated(near_dup_enabled=False))
    try:
        items = [
            Item("A", web.url("/a"), WIRE),
            Item("B", web.url("/b"), WIRE + " Reporting by B."),
        ]
        web.route("/rss", Reply(body=rss2("F", items), content_type=RSS))
        engine.add_feed(web.url("/rss"))
        assert (await engine.poll_feeds(now=NOW))[0].report.added == 2
    finally:
        engine.close()


async def test_add_url_stores_article_once(engine: Engine, web: LoopbackServer) -> None:
    web.route("/story", Reply(body=article_page("Bridge opens", [long_text("bridge")])))
    web.route("/evil", Reply(302, headers={"Location": "http://10.0.0.1/internal"}))
    first = await engine.ingest_url(web.url("/story"))
    assert (first.status, first.title) == ("added", "Bridge opens")
    again = await engine.ingest_url(web.url("/story"))
    assert (again.status, again.article_id) == ("duplicate", first.article_id)
    with pytest.raises(BlockedAddress):
        await engine.ingest_url(web.url("/evil"))
    with pytest.raises(BriefbotError, match="not an http"):
        await engine.ingest_url("javascript:alert(1)")
    assert engine.articles.count() == 1


async def test_declared_encodings_are_honoured(engine: Engine, web: LoopbackServer) -> None:
    text = "Le café de la gare rouvre après des travaux. " + long_text("café")
    feed = (
        "<?xml version='1.0' encoding='windows-1252'?><rss version='2.0'><channel>"
        f"<title>Gare</title><item><title>Café rouvert</title><link>{web.url('/c')}</link>"
        f"<description>{text}</description></item></channel></rss>"
    ).encode("cp1252")
    web.route("/rss", Reply(body=feed, content_type="application/xml"))
    page = article_page("Crème brûlée à Noël", [long_text("crème")]).decode()
    latin_page = page.replace("<head>", "<head><meta charset='iso-8859-1'>").encode("latin-1")
    web.route("/latin", Reply(body=latin_page, content_type="text/html"))
    engine.add_feed(web.url("/rss"))
    result = (await engine.poll_feeds(now=NOW))[0]
    assert result.report.added == 1, result.error
    added = await engine.ingest_url(web.url("/latin"))
    assert added.title == "Crème brûlée à Noël"
    assert sorted(a.title for a in engine.sources()) == ["Café rouvert", "Crème brûlée à Noël"]


async def test_overlapping_polls_do_not_poll_a_feed_twice(
    engine: Engine, web: LoopbackServer
) -> None:
    body = rss2("Slow", [Item("Slow one", web.url("/s"), long_text("slow"))])
    web.route("/rss", Reply(body=[body[:50], body[50:]], content_type=RSS, chunk_delay=0.3))
    engine.add_feed(web.url("/rss"))
    first, second = await asyncio.gather(engine.poll_feeds(now=NOW), engine.poll_feeds(now=NOW))
    assert (len(first), len(second)) == (1, 0)
    assert first[0].report.added == 1 and web.hits["/rss"] == 1
