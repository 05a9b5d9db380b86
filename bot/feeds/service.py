"""The feed and URL operations the CLI and the Telegram admin commands call."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from bot.config import Settings
from bot.errors import BriefbotError
from bot.feeds.pages import fetch_article
from bot.feeds.poller import FeedPoller
from bot.fetch import SafeFetcher
from bot.ingest.pipeline import Ingestor
from bot.models import Feed, PollResult, UrlIngestResult
from bot.store.port import Store
from bot.store.timefmt import utcnow

Clock = Callable[[], datetime]


def check_url(url: str) -> str:
    """A syntactic check before anything is stored; the fetcher re-checks every hop."""
    url = url.strip()
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in ("http", "https") or not rest.split("/", 1)[0]:
        raise BriefbotError(f"not an http(s) URL: {url[:200]}")
    return url


class FeedService:
    def __init__(
        self, store: Store, settings: Settings, ingestor: Ingestor, clock: Clock = utcnow
    ) -> None:
        self.store = store
        self.settings = settings
        self.ingestor = ingestor
        self.clock = clock
        self.repo = store.feeds
        self.poller = FeedPoller(self.repo, ingestor, settings)

    def add_feed(
        self, url: str, *, name: str | None = None, interval_minutes: int | None = None
    ) -> Feed:
        """Subscribe to a feed; it is due at once. Raises BriefbotError for a bad URL,
        a too-short interval or a feed already added."""
        interval = interval_minutes or self.settings.feeds.default_interval
        if interval < max(1, self.settings.feeds.min_interval):
            raise BriefbotError(
                f"interval must be at least {max(1, self.settings.feeds.min_interval)} minutes"
            )
        return self.repo.add(check_url(url), (name or "").strip() or None, interval, self.clock())

    def list_feeds(self) -> list[Feed]:
        return self.repo.all()

    def find_feed(self, ref: str | int) -> Feed:
        """A feed by id or URL; BriefbotError when there is none."""
        feed = self.repo.find(ref)
        if feed is None:
            raise BriefbotError(f"no feed {ref}")
        return feed

    def remove_feed(self, ref: str | int) -> Feed:
        """Unsubscribe; the articles already stored stay."""
        feed = self.find_feed(ref)
        self.repo.remove(feed.id)
        return feed

    def resume_feed(self, ref: str | int) -> Feed:
        """Un-pause a feed and make it due now."""
        feed = self.find_feed(ref)
        self.repo.resume(feed.id, self.clock())
        return self.repo.require(feed.id)

    async def poll_due_feeds(self, now: datetime | None = None) -> list[PollResult]:
        """Poll every unpaused feed whose next poll time has come (the JobQueue job)."""
        now = now or self.clock()
        return await self.poller.poll(self.repo.due(now), now)

    async def poll_feeds(
        self, refs: list[str] | None = None, now: datetime | None = None
    ) -> list[PollResult]:
        """Poll now, ignoring schedules: the given feeds, or every unpaused one."""
        now = now or self.clock()
        feeds = (
            [self.find_feed(r) for r in refs]
            if refs
            else [f for f in self.repo.all() if not f.paused]
        )
        return await self.poller.poll(feeds, now)

    async def add_url(self, url: str) -> UrlIngestResult:
        """Fetch one article page and store it. Raises FetchError (a BriefbotError) when the
        page cannot be fetched safely or holds no article."""
        url = check_url(url)
        async with SafeFetcher(self.settings) as fetcher:
            article = await fetch_article(fetcher, url, origin=url)
        # chunking and near-duplicate matching are CPU work: keep the bot's event loop free
        report = await asyncio.to_thread(self.ingestor.ingest_articles, [article])
        result = UrlIngestResult(
            url=url, final_url=article.url or url, title=article.title, status="added"
        )
        if report.added:
            result.article_id = report.added_ids[0]
        elif report.duplicates or report.near_duplicates:
            result.status = "duplicate" if report.duplicates else "near_duplicate"
            result.article_id = self.store.articles.find_by_url(article.url or url)
        else:
            result.status = "rejected"
            result.reason = "; ".join(r.reason for r in report.rejected) or "not stored"
        return result
