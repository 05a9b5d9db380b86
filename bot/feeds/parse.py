"""Feed documents → entries, with feedparser (RSS 0.9x/1.0/2.0, Atom) and readable errors."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

import feedparser

from bot.feeds.text import html_to_text
from bot.fetch.errors import FetchError
from bot.text.normalize import canonical_url, content_hash


class FeedParseError(FetchError):
    """The document is not a usable feed (malformed XML, an HTML page, no entries)."""


@dataclass
class FeedEntry:
    key: str
    title: str
    link: str | None
    text: str
    published: str | None
    author: str | None
    content_hash: str


@dataclass
class ParsedFeed:
    title: str | None
    entries: list[FeedEntry]
    warning: str | None = None


def parse_feed(data: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """Parse a fetched feed. A document with recoverable errors still yields its entries."""
    parsed = feedparser.parse(
        io.BytesIO(data),
        response_headers={
            "content-type": content_type or "application/xml",
            "content-location": url,
        },
        sanitize_html=False,
    )
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    entries = [e for e in (_entry(raw) for raw in parsed.entries) if e is not None]
    if not entries:
        if not parsed.get("version"):
            detail = f": {_describe(problem)}" if problem else ""
            raise FeedParseError(url, f"not an RSS or Atom feed{detail}")
        if problem is not None:  # a truncated document can leave only empty entries
            raise FeedParseError(url, f"malformed feed: {_describe(problem)}")
    warning = f"feed has errors: {_describe(problem)}" if problem else None
    title = parsed.feed.get("title") if parsed.get("feed") else None
    return ParsedFeed(title=title or None, entries=entries, warning=warning)


def _describe(problem: object) -> str:
    text = " ".join(str(problem).split())
    return text[:200] or type(problem).__name__


def _entry(raw: Any) -> FeedEntry | None:
    title = " ".join(html_to_text(raw.get("title") or "").split())
    link = (raw.get("link") or "").strip() or None
    content = ""
    for part in raw.get("content") or []:
        value = html_to_text(part.get("value") or "")
        if len(value) > len(content):
            content = value
    summary = html_to_text(raw.get("summary") or "")
    text = content if len(content) >= len(summary) else summary
    if not (title or text or link):
        return None
    guid = (raw.get("id") or "").strip()
    key = (
        guid
        or canonical_url(link)
        or "sha:" + hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()
    )
    published = raw.get("published") or raw.get("updated") or raw.get("created")
    return FeedEntry(
        key=key[:500],
        title=title,
        link=link,
        text=text,
        published=published,
        author=raw.get("author") or None,
        content_hash=content_hash(title, text),
    )
