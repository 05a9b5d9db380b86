"""One article page by URL: safe fetch, trafilatura extraction, an `ArticleIn` to store."""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from datetime import datetime
from urllib.parse import urlsplit

from bot.feeds.extract import extract_page
from bot.feeds.parse import FeedParseError
from bot.fetch import SafeFetcher
from bot.fetch.client import PAGE_TYPES
from bot.ingest.dates import DateParseError, parse_date
from bot.models import ArticleIn


async def fetch_article(
    fetcher: SafeFetcher,
    url: str,
    *,
    source: str | None = None,
    origin: str | None = None,
    executor: Executor | None = None,
) -> ArticleIn:
    """Fetch and extract one article; raises `FetchError` (incl. no article found).

    Extraction runs on `executor` (default: asyncio's thread pool), off the event loop.
    """
    result = await fetcher.fetch(url, allowed_types=PAGE_TYPES)
    if result.content_type == "text/plain":
        text = result.text().strip()
        if not text:
            raise FeedParseError(result.final_url, "the page is empty")
        first = text.splitlines()[0][:200]
        return ArticleIn(
            title=first, text=text, url=result.final_url, source=source, origin=origin or url
        )
    markup: str | bytes = result.text() if result.charset else result.content
    loop = asyncio.get_running_loop()
    page = await loop.run_in_executor(executor, extract_page, markup, result.final_url)
    if page is None:
        raise FeedParseError(result.final_url, "no article text found on the page")
    return ArticleIn(
        title=page.title or page.text.splitlines()[0][:200],
        text=page.text,
        url=result.final_url,
        source=source or page.site or urlsplit(result.final_url).hostname,
        published_at=parse_date_or_none(page.published),
        author=page.author,
        origin=origin or url,
    )


def parse_date_or_none(value: str | None) -> datetime | None:
    try:
        return parse_date(value)
    except DateParseError:
        return None
