"""Poll feeds: conditional GET, parse, skip seen entries, complete teasers, store, reschedule.

It runs in the bot's event loop: parsing, extraction, storing and every database call go to
one worker thread of the poller's own. The work is GIL-bound, so more threads only contend:
one worker polled ~10 % faster than asyncio's default pool and halved the event loop's p99
stall (docs/benchmarks.md). An ingest holds the database lock for its batch, so the loop
must not wait on that lock either.
Every failure of a feed (network, size, type, parse) is recorded on that feed with backoff
and never stops the other feeds; a failed page falls back to the entry's own summary.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from bot.config import Settings
from bot.feeds.pages import fetch_article, parse_date_or_none
from bot.feeds.parse import FeedEntry, ParsedFeed, parse_feed
from bot.fetch import FetchError, SafeFetcher
from bot.fetch.client import FEED_TYPES
from bot.ingest.pipeline import Ingestor
from bot.models import ArticleIn, Feed, PollResult, Rejection
from bot.store.feeds import FeedRepository

log = logging.getLogger(__name__)

T = TypeVar("T")


class FeedPoller:
    def __init__(self, repo: FeedRepository, ingestor: Ingestor, settings: Settings) -> None:
        self.repo = repo
        self.ingestor = ingestor
        self.settings = settings
        self._in_flight: set[int] = set()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="feed-worker")

    def close(self) -> None:
        """Let the worker thread end (pending work, if any, still finishes)."""
        self._worker.shutdown(wait=False)

    async def off_loop(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking work (CPU or database) on the poller's worker thread."""
        call = functools.partial(fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._worker, call)

    def interval(self, feed: Feed) -> int:
        return max(feed.interval_minutes, self.settings.feeds.min_interval)

    async def poll(self, feeds: list[Feed], now: datetime) -> list[PollResult]:
        """Poll `feeds` concurrently (bounded); results in the same order.

        A feed still being polled by an earlier, overlapping call is skipped.
        """
        feeds = [f for f in feeds if f.id not in self._in_flight]
        if not feeds:
            return []
        self._in_flight.update(f.id for f in feeds)
        feed_slots = asyncio.Semaphore(self.settings.feeds.concurrency)
        page_slots = asyncio.Semaphore(self.settings.feeds.page_concurrency)

        async def one(feed: Feed) -> PollResult:
            async with feed_slots:
                return await self.poll_one(fetcher, page_slots, feed, now)

        try:
            async with SafeFetcher(self.settings) as fetcher:
                return list(await asyncio.gather(*(one(f) for f in feeds)))
        finally:
            self._in_flight.difference_update(f.id for f in feeds)

    async def poll_one(
        self, fetcher: SafeFetcher, page_slots: asyncio.Semaphore, feed: Feed, now: datetime
    ) -> PollResult:
        result = PollResult(feed_id=feed.id, url=feed.url, status="ok")
        try:
            etag, modified = await self.off_loop(self.repo.validators, feed.id)
            conditional = {"If-None-Match": etag} if etag else {}
            if modified:
                conditional["If-Modified-Since"] = modified
            fetched = await fetcher.fetch(feed.url, allowed_types=FEED_TYPES, headers=conditional)
            fresh: list[FeedEntry] = []
            if fetched.not_modified:
                result.status = "not_modified"
            else:
                parsed = await self.off_loop(
                    parse_feed,
                    fetched.content,
                    fetched.final_url,
                    fetched.headers.get("content-type", ""),
                )
                result.entries = len(parsed.entries)
                fresh = await self.off_loop(self.repo.unseen, feed.id, parsed.entries)
                result.new_entries = len(fresh)
                articles = await self._articles(fetcher, page_slots, feed, parsed, fresh, result)
                result.report.merge(await self.off_loop(self.ingestor.ingest_articles, articles))
                if parsed.warning:
                    result.report.warnings.append(Rejection(origin=feed.url, reason=parsed.warning))
            await self.off_loop(
                self.repo.record_success,
                feed.id,
                now=now,
                next_poll=now + timedelta(minutes=self.interval(feed)),
                etag=fetched.headers.get("etag"),
                last_modified=fetched.headers.get("last-modified"),
                entries=fresh,
                added=result.report.added,
            )
        except Exception as exc:
            if not isinstance(exc, FetchError):
                log.exception("unexpected error polling %s", feed.url)
            reason = str(exc) if isinstance(exc, FetchError) else f"{type(exc).__name__}: {exc}"
            result.status, result.error = "error", reason
            result.paused = await self.off_loop(
                self.repo.record_failure,
                feed.id,
                now=now,
                error=reason,
                base_minutes=self.interval(feed) or 1,
                max_minutes=self.settings.feeds.max_backoff,
                max_failures=self.settings.feeds.max_failures,
            )
        return result

    async def _articles(
        self,
        fetcher: SafeFetcher,
        page_slots: asyncio.Semaphore,
        feed: Feed,
        parsed: ParsedFeed,
        entries: list[FeedEntry],
        result: PollResult,
    ) -> list[ArticleIn]:
        source = feed.name or parsed.title or urlsplit(feed.url).hostname

        async def build(entry: FeedEntry) -> ArticleIn | None:
            origin = f"feed {feed.id}: {entry.link or entry.key}"
            summary = ArticleIn(
                title=entry.title,
                text=entry.text,
                url=entry.link,
                source=source,
                published_at=parse_date_or_none(entry.published),
                author=entry.author,
                external_id=entry.key,
                origin=origin,
            )
            if not self._is_teaser(entry):
                return summary
            try:
                async with page_slots:
                    page = await fetch_article(
                        fetcher,
                        entry.link or "",
                        source=source,
                        origin=origin,
                        executor=self._worker,
                    )
                result.pages_fetched += 1
            except FetchError as exc:
                result.pages_failed += 1
                result.report.warnings.append(
                    Rejection(origin=origin, reason=f"{exc}; stored the feed's summary")
                )
                return summary if summary.text else None
            return page.model_copy(
                update={
                    "title": entry.title or page.title,
                    "url": entry.link or page.url,
                    "published_at": summary.published_at or page.published_at,
                    "author": entry.author or page.author,
                    "external_id": entry.key,
                }
            )

        built = await asyncio.gather(*(build(e) for e in entries))
        return [a for a in built if a is not None]

    def _is_teaser(self, entry: FeedEntry) -> bool:
        return (
            self.settings.feeds.fetch_pages
            and bool(entry.link)
            and len(entry.text) < self.settings.feeds.teaser_chars
        )
