"""Only http(s) URLs are stored and only they become links: `javascript:`, `data:`, `file:`…
are dropped at ingest with a warning (the article is kept), and a stored one is never linked.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.answer.citations import source_text
from bot.config import Settings
from bot.ingest.readers import Record
from bot.models import Answer, SourceRef
from bot.telegram.render import render_answer
from bot.text.normalize import http_url
from tests.support.botapi import BotApiEmulator
from tests.support.corpus import ingest_news
from tests.support.telegram_bot import RecordingEngine, bot_settings, run_bot
from tests.support.tg_html import parse_html

USER = 1001
BAD_URLS = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "ftp://example.org/a",
    "http://",
    "https://example.org/a\nb",
    "https://exa mple.org/a",
    "//example.org/protocol-relative",
    "tg://resolve?domain=x",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_http_url_refuses_everything_but_http_and_https(url: str) -> None:
    assert http_url(url) is None


def test_http_url_keeps_web_urls_and_lowercases_the_scheme() -> None:
    assert http_url(" HTTPS://Example.org/A?b=1 ") == "https://Example.org/A?b=1"
    assert http_url("http://example.org") == "http://example.org"
    assert http_url("https://e.org/quake /?id=1") == "https://e.org/quake%20/?id=1"
    # plain links (no urlsplit) and the rest agree on what they keep
    assert http_url("HTTP://News.example.org:8080/a/b") == "http://News.example.org:8080/a/b"
    assert http_url("https://e.org/a@b/c") == "https://e.org/a@b/c"
    assert http_url("https://[::1]/a") == "https://[::1]/a"
    assert http_url("https://e_x.org/a") == "https://e_x.org/a"


def test_ingest_drops_a_bad_url_with_a_warning_and_keeps_the_article(settings: Settings) -> None:
    engine = RecordingEngine(settings.updated(auto_seed=False))
    try:
        report = engine.ingestor.ingest_records(
            [
                Record(
                    origin="feed.jsonl:1",
                    fields={
                        "title": "Lighthouse keeper retires",
                        "text": "The lighthouse keeper of Portmere retired after 40 years.",
                        "url": "javascript:alert(1)",
                    },
                )
            ]
        )
        [article] = engine.sources()
    finally:
        engine.close()
    assert report.added == 1
    assert article.url is None
    assert [w.reason for w in report.warnings] == [
        "not an http(s) URL 'javascript:alert(1)'; dropped it"
    ]


async def test_sources_in_telegram_never_link_a_stored_non_http_url(
    settings: Settings, botapi: BotApiEmulator
) -> None:
    engine = RecordingEngine(settings.updated(auto_seed=False))
    ingest_news(engine)
    # rows written before ingest checked schemes, or by another tool
    with engine.store.db.transaction() as tx:
        tx.execute(
            "UPDATE articles SET url = 'javascript:alert(1)' WHERE title LIKE 'Portmere mayor%'"
        )
    try:
        async with run_bot(engine, bot_settings(settings, botapi), botapi):
            botapi.private_message(USER, "/sources")
            [message] = await botapi.wait_for("sendMessage")
    finally:
        engine.close()
    visible = parse_html(message.text)  # what Telegram would accept
    assert "Portmere mayor announces flood relief fund" in visible
    assert "javascript" not in message.text
    assert 'href="https://news.example.com/portmere/bridge' in message.text


def test_answers_link_only_http_sources() -> None:
    refs = [
        SourceRef(
            n=1,
            article_id=1,
            title="Bad",
            url="data:text/html,x",
            source="S",
            published_at=None,
            quote="Bad thing.",
        ),
        SourceRef(
            n=2,
            article_id=2,
            title="Good",
            url="https://example.org/good",
            source="S",
            published_at=datetime(2023, 10, 1, tzinfo=UTC),
            quote="Good thing.",
        ),
    ]
    answer = Answer(
        question="q", answer="Bad thing [1]. Good thing [2].", abstained=False, sources=refs
    )
    html = render_answer(answer)
    parse_html(html)
    assert "data:" not in html and html.count("<a href=") == 2  # marker [2] and title 2
    assert "data:" not in source_text(refs[0])
