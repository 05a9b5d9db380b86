"""The engine: one object the CLI and the Telegram bot share. It never imports Telegram."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from bot.answer.extractive import extractive_answer
from bot.answer.followup import heuristic_standalone
from bot.config import Settings
from bot.ingest.pipeline import Ingestor, Progress
from bot.models import (
    AlternateSource,
    Answer,
    ArticleSummary,
    Feed,
    IngestReport,
    PollResult,
    SearchFilters,
    Stats,
    Turn,
    UrlIngestResult,
)
from bot.resources import bundled_dir
from bot.retrieval.bm25 import Retriever, SearchResult
from bot.retrieval.hybrid import HybridRetriever
from bot.store.alternates import outlet_name
from bot.store.conversations import ConversationStore
from bot.store.db import DB
from bot.store.locks import JobLock
from bot.store.port import Store, copy_to_postgres, open_database
from bot.store.timefmt import utcnow

if TYPE_CHECKING:
    from bot.answer.llm_answer import LLMAnswerer
    from bot.briefing.models import Briefing
    from bot.briefing.service import BriefingService, Clock, Send
    from bot.briefing.summary import StorySummariser
    from bot.briefing.window import Window
    from bot.feeds.service import FeedService
    from bot.retrieval.dense import DenseIndex
    from bot.retrieval.vectors import VectorStore

Notify = Callable[[str], None]


class Engine:
    """Ingest → store → retrieve → answer, over one store."""

    def __init__(self, settings: Settings, db: DB | None = None) -> None:
        self.settings = settings
        self.store = Store(db or open_database(settings))
        self.articles = self.store.articles
        self.retriever = Retriever(self.store.search, settings)
        self.ingestor = Ingestor(self.store, settings)
        self.usage = self.store.usage
        self._llm: LLMAnswerer | None = None
        self.alternates = self.store.alternates
        self._feeds: FeedService | None = None
        self._job_locks: dict[str, JobLock] = {}
        self.vectors: VectorStore | None = None
        dense: DenseIndex | None = None
        if settings.retrieval.mode != "bm25":
            # numpy and the embedder load only when dense retrieval is on
            from bot.retrieval.dense import DenseIndex
            from bot.retrieval.embeddings import make_embedder
            from bot.retrieval.vectors import VectorStore

            self.vectors = VectorStore(self.store.vectors, make_embedder(settings))
            dense = DenseIndex(self.vectors)
            if settings.retrieval.embed_at_ingest:
                self.ingestor.after_batch.append(self.vectors.add_articles)
        self.hybrid = HybridRetriever(self.articles, settings, self.retriever, dense)

    @property
    def llm(self) -> LLMAnswerer:
        """Created on first use so extractive-only runs never build an HTTP client."""
        if self._llm is None:
            from bot.answer.llm_answer import LLMAnswerer  # imports openai: only when needed

            self._llm = LLMAnswerer(
                self.settings, lambda q, k, f: self.search(q, k=k, filters=f), self.usage
            )
        return self._llm

    @property
    def feeds(self) -> FeedService:
        """Feed and URL operations; built on first use (fetch/extract imports are heavy)."""
        if self._feeds is None:
            from bot.feeds.service import FeedService

            self._feeds = FeedService(self.store, self.settings, self.ingestor)
        return self._feeds

    def briefing_summariser(
        self, mode: Literal["extractive", "llm"] | None = None
    ) -> StorySummariser | None:
        """The LLM story summariser when briefings should use one, else None (extractive).

        Default: on when an LLM endpoint is set and `briefing_llm_summaries` is true. It shares
        the answers' client, prompts and usage ledger.
        """
        s = self.settings
        wanted = mode == "llm" or (mode is None and s.briefing.llm_summaries)
        if not wanted or not s.llm_enabled:
            return None
        from bot.briefing.llm_summary import LLMStorySummariser

        return LLMStorySummariser(s, self.llm.client, self.llm.prompts, self.usage)

    def briefing_service(
        self, send: Send, *, settings: Settings | None = None, clock: Clock = utcnow
    ) -> BriefingService:
        """Subscriptions, schedules and deliveries over this engine's store; `send` is the
        transport (the Telegram bot's courier; the CLI, which never sends, passes a stub)."""
        from bot.briefing.service import BriefingService  # numpy/scipy: only when needed

        return BriefingService(
            self.store,
            settings or self.settings,
            send,
            clock=clock,
            summariser=self.briefing_summariser(),
        )

    async def build_briefing(
        self,
        window: Window,
        topics: list[str],
        *,
        mode: Literal["extractive", "llm"] | None = None,
        top: int | None = None,
    ) -> Briefing:
        """The briefing of a window (`briefbot brief`); `top` overrides the story count."""
        from bot.briefing.builder import BriefingBuilder  # numpy/scipy: only when briefing

        settings = self.settings
        if top is not None:
            settings = settings.updated(briefing_top_stories=top)
        builder = BriefingBuilder(self.store, settings)
        return await builder.abuild(window, topics, self.briefing_summariser(mode))

    def conversation_memory(
        self, *, max_turns: int, max_tokens: int, idle: timedelta
    ) -> ConversationStore:
        """Follow-up context kept in the store, so any instance of the bot can continue it."""
        return self.store.conversations(max_turns=max_turns, max_tokens=max_tokens, idle=idle)

    async def holds_job(self, name: str) -> bool:
        """Whether this instance runs the periodic job `name` now (always, on SQLite; on
        PostgreSQL one instance at a time, another taking over when it dies)."""
        lock = self._job_locks.get(name)
        if lock is None:
            lock = self._job_locks[name] = self.store.job_lock(name)
        return await asyncio.to_thread(lock.try_hold)

    def close(self) -> None:
        if self._feeds is not None:
            self._feeds.poller.close()
        for lock in self._job_locks.values():
            lock.release()
        self.store.close()

    async def aclose(self) -> None:
        """Close the LLM client (if any) and the database."""
        if self._llm is not None:
            await self._llm.client.close()
            self._llm = None
        self.close()

    def ensure_corpus(self, notify: Notify | None = None) -> IngestReport | None:
        """Ingest the seed articles when the corpus is empty and seeding is enabled."""
        if not self.settings.store.auto_seed or self.articles.count() > 0:
            return None
        seeds = self.settings.store.seeds_dir or bundled_dir("seeds")
        report = self.ingestor.ingest_paths([Path(seeds)])
        if notify:
            notify(
                f"briefbot: the corpus was empty; ingested {report.added} seed article(s) "
                f"from {seeds}"
            )
        return report

    def ingest(self, paths: Iterable[Path], progress: Progress | None = None) -> IngestReport:
        return self.ingestor.ingest_paths(paths, progress)

    async def ingest_url(self, url: str) -> UrlIngestResult:
        """Fetch one article page safely and store it (`/add <url>`, `briefbot ingest URL`)."""
        return await self.feeds.add_url(url)

    def add_feed(
        self, url: str, *, name: str | None = None, interval_minutes: int | None = None
    ) -> Feed:
        return self.feeds.add_feed(url, name=name, interval_minutes=interval_minutes)

    def list_feeds(self) -> list[Feed]:
        return self.feeds.list_feeds()

    def remove_feed(self, ref: str | int) -> Feed:
        return self.feeds.remove_feed(ref)

    def resume_feed(self, ref: str | int) -> Feed:
        return self.feeds.resume_feed(ref)

    async def poll_due_feeds(self, now: datetime | None = None) -> list[PollResult]:
        """Poll the feeds that are due; the bot's JobQueue job calls this every minute."""
        return await self.feeds.poll_due_feeds(now)

    async def poll_feeds(
        self, refs: list[str] | None = None, now: datetime | None = None
    ) -> list[PollResult]:
        return await self.feeds.poll_feeds(refs, now)

    def alternates_for(self, article_ids: list[int]) -> dict[int, list[AlternateSource]]:
        """Other outlets' copies of these articles, for "also reported by …"."""
        return self.alternates.for_articles(article_ids)

    def with_alternates(self, answer: Answer) -> Answer:
        """Name the other outlets that carried each cited article (one query per answer).

        The one place extractive and LLM answers get "also reported by": both leave here.
        """
        if not answer.sources:
            return answer
        outlets = self.alternates.outlets_for(
            {ref.article_id: outlet_name(ref.source, ref.url) for ref in answer.sources}
        )
        if not outlets:
            return answer
        sources = [
            ref.model_copy(update={"also_reported_by": outlets.get(ref.article_id, [])})
            for ref in answer.sources
        ]
        return answer.model_copy(update={"sources": sources})

    def search(
        self, question: str, k: int | None = None, filters: SearchFilters | None = None
    ) -> SearchResult:
        return self.hybrid.search(question, k=k, filters=filters)

    def answer_extractive(
        self,
        question: str,
        k: int | None = None,
        filters: SearchFilters | None = None,
        query: str | None = None,
    ) -> Answer:
        """The offline answer; `query` (a follow-up made standalone) is what gets searched."""
        result = self.search(query or question, k=k, filters=filters)
        return self.with_alternates(
            extractive_answer(
                question,
                result,
                threshold=self.settings.answers.abstain_threshold,
                max_sentences=self.settings.answers.max_sentences,
            )
        )

    async def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        filters: SearchFilters | None = None,
        history: list[Turn] | None = None,
        mode: Literal["extractive", "llm"] | None = None,
        chat_id: str | None = None,
        on_delta: Callable[[str], Awaitable[None]] | None = None,
    ) -> Answer:
        """Answer a question; `history` gives earlier turns for follow-ups.

        `mode` forces extractive or LLM answers (default: LLM when an endpoint is set);
        `chat_id` keys per-chat budgets; `on_delta` receives each new piece of the streamed,
        not yet verified draft (the returned Answer is the verified one).
        """
        wants_llm = mode == "llm" or (mode is None and self.settings.llm_enabled)
        if wants_llm and self.settings.llm_enabled:
            answer = await self.llm.answer(
                question, k=k, filters=filters, history=history, chat_id=chat_id, on_delta=on_delta
            )
            return self.with_alternates(answer)
        standalone = heuristic_standalone(question, history or [])
        # Retrieval is CPU work on SQLite: keep it off the event loop so the bot stays live.
        answer = await asyncio.to_thread(self.answer_extractive, question, k, filters, standalone)
        if standalone != question:
            answer.standalone_question = standalone
        if wants_llm:
            answer.fallback_reason = "llm_not_configured"
        return answer

    def reindex(self, progress: Progress | None = None) -> int:
        """Compute the vectors chunks lack (new embedder, failed batch); returns how many."""
        if self.vectors is None:
            return 0
        return self.vectors.fill_missing(progress=progress)

    def stats(self) -> Stats:
        return self.articles.stats()

    def copy_to_postgres(
        self, url: str, progress: Callable[[str, int], None] | None = None
    ) -> tuple[dict[str, int], Stats]:
        """`briefbot db copy`: this (SQLite) store into PostgreSQL; resumable, idempotent."""
        return copy_to_postgres(self.store, url, progress)

    def sources(
        self, filters: SearchFilters | None = None, limit: int | None = None
    ) -> list[ArticleSummary]:
        return self.articles.list_articles(filters, limit=limit)
