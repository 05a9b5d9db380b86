"""The engine: one object the CLI and the Telegram bot share. It never imports Telegram."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from bot.answer.extractive import extractive_answer
from bot.answer.followup import heuristic_standalone
from bot.config import Settings
from bot.ingest.pipeline import Ingestor, Progress
from bot.models import Answer, ArticleSummary, IngestReport, SearchFilters, Stats, Turn
from bot.resources import bundled_dir
from bot.retrieval.bm25 import Retriever, SearchResult
from bot.store.articles import ArticleRepository
from bot.store.db import Database
from bot.store.usage import UsageRepository

if TYPE_CHECKING:
    from bot.answer.llm_answer import LLMAnswerer

Notify = Callable[[str], None]


class Engine:
    """Ingest → store → retrieve → answer, over one SQLite database."""

    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings.database)
        self.articles = ArticleRepository(self.db)
        self.retriever = Retriever(self.db, settings)
        self.ingestor = Ingestor(self.db, settings)
        self.usage = UsageRepository(self.db)
        self._llm: LLMAnswerer | None = None

    @property
    def llm(self) -> LLMAnswerer:
        """Created on first use so extractive-only runs never build an HTTP client."""
        if self._llm is None:
            from bot.answer.llm_answer import LLMAnswerer  # imports openai: only when needed

            self._llm = LLMAnswerer(
                self.settings, lambda q, k, f: self.search(q, k=k, filters=f), self.usage
            )
        return self._llm

    def close(self) -> None:
        self.db.close()

    async def aclose(self) -> None:
        """Close the LLM client (if any) and the database."""
        if self._llm is not None:
            await self._llm.client.close()
            self._llm = None
        self.close()

    def ensure_corpus(self, notify: Notify | None = None) -> IngestReport | None:
        """Ingest the seed articles when the corpus is empty and seeding is enabled."""
        if not self.settings.auto_seed or self.articles.count() > 0:
            return None
        seeds = self.settings.seeds_dir or bundled_dir("seeds")
        report = self.ingestor.ingest_paths([Path(seeds)])
        if notify:
            notify(
                f"briefbot: the corpus was empty; ingested {report.added} seed article(s) "
                f"from {seeds}"
            )
        return report

    def ingest(self, paths: Iterable[Path], progress: Progress | None = None) -> IngestReport:
        return self.ingestor.ingest_paths(paths, progress)

    def search(
        self, question: str, k: int | None = None, filters: SearchFilters | None = None
    ) -> SearchResult:
        return self.retriever.search(question, k=k, filters=filters)

    def answer_extractive(
        self, question: str, k: int | None = None, filters: SearchFilters | None = None
    ) -> Answer:
        result = self.search(question, k=k, filters=filters)
        return extractive_answer(
            question,
            result,
            threshold=self.settings.abstain_threshold,
            max_sentences=self.settings.max_answer_sentences,
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
        if mode == "llm" and not self.settings.llm_enabled:
            answer = self.answer_extractive(question, k=k, filters=filters)
            return answer.model_copy(update={"fallback_reason": "llm_not_configured"})
        if mode == "llm" or (mode is None and self.settings.llm_enabled):
            return await self.llm.answer(
                question, k=k, filters=filters, history=history, chat_id=chat_id, on_delta=on_delta
            )
        standalone = heuristic_standalone(question, history or [])
        # Retrieval is CPU work on SQLite: keep it off the event loop so the bot stays live.
        answer = await asyncio.to_thread(
            lambda: extractive_answer(
                question,
                self.search(standalone, k=k, filters=filters),
                threshold=self.settings.abstain_threshold,
                max_sentences=self.settings.max_answer_sentences,
            )
        )
        if standalone != question:
            answer.standalone_question = standalone
        return answer

    def stats(self) -> Stats:
        return self.articles.stats()

    def sources(
        self, filters: SearchFilters | None = None, limit: int | None = None
    ) -> list[ArticleSummary]:
        return self.articles.list_articles(filters, limit=limit)
