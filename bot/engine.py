"""The engine: one object the CLI and the Telegram bot share. It never imports Telegram."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Literal

from bot.answer.extractive import extractive_answer
from bot.config import Settings
from bot.ingest.pipeline import Ingestor, Progress
from bot.models import Answer, ArticleSummary, IngestReport, SearchFilters, Stats, Turn
from bot.resources import bundled_dir
from bot.retrieval.bm25 import Retriever, SearchResult
from bot.retrieval.dense import DenseIndex
from bot.retrieval.embeddings import make_embedder
from bot.retrieval.hybrid import HybridRetriever
from bot.retrieval.vectors import VectorStore
from bot.store.articles import ArticleRepository
from bot.store.db import Database

Notify = Callable[[str], None]


class Engine:
    """Ingest → store → retrieve → answer, over one SQLite database."""

    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings.database)
        self.articles = ArticleRepository(self.db)
        self.retriever = Retriever(self.db, settings)
        self.ingestor = Ingestor(self.db, settings)
        self.vectors: VectorStore | None = None
        dense = None
        if settings.retrieval != "bm25":
            self.vectors = VectorStore(self.db, make_embedder(settings))
            dense = DenseIndex(self.vectors)
            if settings.embed_at_ingest:
                self.ingestor.after_batch.append(self.vectors.add_articles)
        self.hybrid = HybridRetriever(self.db, settings, self.retriever, dense)

    def close(self) -> None:
        self.db.close()

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
        return self.hybrid.search(question, k=k, filters=filters)

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
        `chat_id` keys per-chat budgets; `on_delta` receives streamed draft text.
        """
        return self.answer_extractive(question, k=k, filters=filters)

    def reindex(self, progress: Progress | None = None) -> int:
        """Compute the vectors chunks lack (new embedder, failed batch); returns how many."""
        if self.vectors is None:
            return 0
        return self.vectors.fill_missing(progress=progress)

    def stats(self) -> Stats:
        return self.articles.stats()

    def sources(
        self, filters: SearchFilters | None = None, limit: int | None = None
    ) -> list[ArticleSummary]:
        return self.articles.list_articles(filters, limit=limit)
