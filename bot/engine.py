"""The engine: one object the CLI and the Telegram bot share. It never imports Telegram."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from bot.answer.followup import heuristic_standalone
from bot.answer.paraphrase import WordSimilarity
from bot.answer.pipeline import AnswerPipeline
from bot.config import Settings
from bot.metrics import Metrics
from bot.models import (
    AlternateSource,
    Answer,
    ArticleSummary,
    Disagreement,
    Feed,
    IngestReport,
    PollResult,
    RemovalResult,
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
from bot.store.port import Store, copy_to_postgres
from bot.store.timefmt import utcnow

if TYPE_CHECKING:
    from bot.answer.llm_answer import LLMComposer
    from bot.briefing.models import Briefing
    from bot.briefing.service import BriefingService, Clock, Send
    from bot.briefing.summary import StorySummariser
    from bot.briefing.window import Window
    from bot.feeds.service import FeedService
    from bot.ingest.pipeline import Ingestor, Progress
    from bot.insight.models import Timeline, Trend
    from bot.insight.service import InsightService
    from bot.retrieval.dense import DenseIndex
    from bot.retrieval.vectors import VectorStore

Notify = Callable[[str], None]


def with_disagreements(answer: Answer) -> Answer:
    """Flag conflicting figures or blame among the answer's sources (two outlets or more)."""
    if len({ref.source for ref in answer.sources}) < 2:
        return answer
    from bot.briefing.disagreements import Report, conflict_line, find_conflicts

    by_id = {ref.article_id: ref for ref in answer.sources}
    reports = [
        Report(
            ref.article_id,
            outlet_name(ref.source, ref.url),
            ref.published_at or datetime.min.replace(tzinfo=UTC),
            ref.title,
            ref.quote,
        )
        for ref in answer.sources
    ]
    found = []
    for conflict in find_conflicts(reports):
        numbers = [by_id[side.article_id].n for side in conflict.sides]
        found.append(Disagreement(text=conflict_line(conflict, numbers), citations=numbers))
    return answer.model_copy(update={"disagreements": found}) if found else answer


class Engine:
    """Ingest → store → retrieve → answer, over one store."""

    def __init__(self, settings: Settings, db: DB | None = None) -> None:
        self.settings = settings
        self.store = Store.open(settings, db)
        self.articles = self.store.articles
        self.retriever = Retriever(self.store, settings)
        self._ingestor: Ingestor | None = None
        self.usage = self.store.usage
        self.metrics = Metrics()
        self._llm: LLMComposer | None = None
        self.alternates = self.store.alternates
        self._feeds: FeedService | None = None
        self._job_locks: dict[str, JobLock] = {}
        self._insight: InsightService | None = None
        self.vectors: VectorStore | None = None
        dense: DenseIndex | None = None
        if settings.retrieval.mode != "bm25":
            # numpy and the embedder load only when dense retrieval is on
            from bot.retrieval.dense import DenseIndex
            from bot.retrieval.embeddings import make_embedder
            from bot.retrieval.vectors import VectorStore

            self.vectors = VectorStore(self.store.vectors, make_embedder(settings))
            dense = DenseIndex(self.vectors)
        self.hybrid = HybridRetriever(self.articles, settings, self.retriever, dense)
        self.pipeline = AnswerPipeline(
            settings,
            self.hybrid.search,
            self.alternates,
            self.usage,
            lambda: self.llm,
            paraphrase=WordSimilarity(),
            read_articles=self.hybrid.read_articles,
        )

    @property
    def ingestor(self) -> Ingestor:
        """Built on first use: a question over an existing corpus never imports the ingest
        stages."""
        if self._ingestor is None:
            from bot.ingest.pipeline import Ingestor

            self._ingestor = Ingestor(self.store, self.settings)
            if self.vectors is not None and self.settings.retrieval.embed_at_ingest:
                self._ingestor.after_batch.append(self.vectors.add_articles)
        return self._ingestor

    @property
    def llm(self) -> LLMComposer:
        """Created on first use so extractive-only runs never build an HTTP client."""
        if self._llm is None:
            from bot.answer.llm_answer import LLMComposer  # imports openai: only when needed
            from bot.llm.client import LLMClient

            self._llm = LLMComposer(
                self.settings, client=LLMClient(self.settings, metrics=self.metrics)
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

    @property
    def insight(self) -> InsightService:
        """Timelines and trends; built on first use (numpy/scipy)."""
        if self._insight is None:
            from bot.insight.service import InsightService

            self._insight = InsightService(self.store)
        return self._insight

    async def timeline(
        self,
        topic: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        mode: Literal["extractive", "llm"] | None = None,
    ) -> Timeline:
        """A topic's developments, oldest first (default: the last 14 days of the corpus).

        Extractive offline; written by the LLM and verified when an endpoint is set (`mode`
        forces either), falling back to the extractive timeline on any failure.
        """
        draft, chosen = await asyncio.to_thread(self.insight.timeline_draft, topic, since, until)
        wants_llm = mode == "llm" or (mode is None and self.settings.llm_enabled)
        if not wants_llm or not chosen:
            return draft
        if not self.settings.llm_enabled:
            return draft.model_copy(update={"fallback_reason": "llm_not_configured"})
        from bot.insight.llm_timeline import LLMTimelineWriter

        writer = LLMTimelineWriter(self.settings, self.llm.client, self.llm.prompts, self.usage)
        return await writer(draft, chosen)

    def trend(
        self, topics: list[str], *, since: datetime | None = None, until: datetime | None = None
    ) -> Trend:
        """Articles per day for each topic, with their top outlets (default: 14 days)."""
        return self.insight.trend(topics, since, until)

    @staticmethod
    def trend_chart(trend: Trend) -> bytes:
        """The trend as a PNG (matplotlib loads here, never on the answer path)."""
        from bot.insight.chart import render_png

        return render_png(trend)

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
            observe=self.metrics.briefing,
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
        return self._counted(await self.feeds.poll_due_feeds(now))

    async def poll_feeds(
        self, refs: list[str] | None = None, now: datetime | None = None
    ) -> list[PollResult]:
        return self._counted(await self.feeds.poll_feeds(refs, now))

    def _counted(self, results: list[PollResult]) -> list[PollResult]:
        for result in results:
            self.metrics.feed_poll(result.status)
        return results

    def alternates_for(self, article_ids: list[int]) -> dict[int, list[AlternateSource]]:
        """Other outlets' copies of these articles, for "also reported by …"."""
        return self.alternates.for_articles(article_ids)

    def with_alternates(self, answer: Answer) -> Answer:
        """Name the other outlets that carried each cited article (one query per answer)."""
        return self.pipeline.with_alternates(answer)

    def search(
        self, question: str, k: int | None = None, filters: SearchFilters | None = None
    ) -> SearchResult:
        return self.hybrid.search(question, k=k, filters=filters)

    def answer_extractive(
        self,
        question: str,
        k: int | None = None,
        filters: SearchFilters | None = None,
        history: list[Turn] | None = None,
    ) -> Answer:
        """The offline answer, synchronously (the pipeline's extractive path)."""
        standalone = heuristic_standalone(question, history or [])
        return self.with_alternates(self.pipeline.extractive(question, standalone, k, filters))

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
        language: str | None = None,
    ) -> Answer:
        """Answer a question; `history` gives earlier turns for follow-ups.

        `mode` forces extractive or LLM answers (default: LLM when an endpoint is set);
        `chat_id` keys per-chat budgets; `on_delta` receives each new piece of the streamed,
        not yet verified draft (the returned Answer is the verified one); `language` is the
        reader's language (e.g. Telegram's language_code), used when the question's own
        language cannot be told.
        """
        deadline = asyncio.get_running_loop().time() + self.settings.llm.deadline
        answer = await self.pipeline.ask(
            question,
            k=k,
            filters=filters,
            history=history,
            mode=mode,
            chat_id=chat_id,
            on_delta=on_delta,
        )
        self.metrics.answer(answer.mode, answer.fallback_reason)
        return await self.in_reader_language(
            with_disagreements(answer), question, language, chat_id=chat_id, deadline=deadline
        )

    def remove_articles(self, refs: Iterable[str | int]) -> list[RemovalResult]:
        """Remove articles by id or URL with their chunks, vectors, alternates and
        near-duplicate rows; each reference is reported, found or not."""
        results = []
        for ref in refs:
            text = str(ref).strip()
            article_id = int(text) if text.isdigit() else self.articles.find_by_url(text)
            article = self.articles.get(article_id) if article_id is not None else None
            if article is None or not self.articles.delete(article.id):
                results.append(RemovalResult(ref=text, removed=False))
                continue
            self.metrics.articles_removed.inc()
            results.append(
                RemovalResult(ref=text, removed=True, article_id=article.id, title=article.title)
            )
        return results

    def export(self, filters: SearchFilters | None = None) -> Iterable[dict[str, object]]:
        """Every article (within `filters`) with metadata and alternates, in ingest order."""
        return self.store.export(filters)

    async def in_reader_language(
        self,
        answer: Answer,
        question: str,
        hint: str | None = None,
        *,
        chat_id: str | None = None,
        deadline: float | None = None,
    ) -> Answer:
        """LLM answers are translated into the reader's language (the question's, else
        `hint`); extractive ones stay in the sources' language and say so.

        The translation is the chat's (`chat_id`) like its answer, and must be done by
        `deadline` (event-loop time; default: `llm.deadline` from now).

        Only runs when it can matter (an LLM is set, or the caller knows the reader's
        language), so a cold offline `briefbot ask` never loads the language model.
        """
        if answer.abstained or not answer.sentences:
            return answer
        if not self.settings.llm_enabled and not hint:
            return answer
        from bot.answer import language

        reader, source = await asyncio.to_thread(
            lambda: (
                language.detect(question) or language.normalize(hint),
                language.detect(" ".join(s.text for s in answer.sentences)),
            )
        )
        answer = answer.model_copy(update={"language": source})
        if reader is None or source is None or reader == source:
            return answer
        from bot.answer.translate import translate_answer, untranslated

        if answer.mode != "llm" or not self.settings.llm_enabled:
            return untranslated(answer, source)
        if deadline is None:
            deadline = asyncio.get_running_loop().time() + self.settings.llm.deadline
        return await translate_answer(
            answer,
            reader,
            settings=self.settings,
            client=self.llm.client,
            prompts=self.llm.prompts,
            usage=self.usage,
            chat_id=chat_id,
            now=self.pipeline.clock(),
            deadline=deadline,
        )

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
