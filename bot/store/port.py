"""The storage port: one database and the repositories over it.

Everything above `bot/store/` reaches the database through a `Store`: repositories with
intent-named methods, never SQL. Numpy-backed parts (vectors, near-duplicates) are built on
first use so that a plain `briefbot ask` does not load numpy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.models import SearchFilters
from bot.store.alternates import AlternateRepository
from bot.store.articles import ArticleRepository
from bot.store.conversations import Clock, ConversationStore
from bot.store.db import Database
from bot.store.deliveries import DeliveryLog
from bot.store.export import export_records
from bot.store.feeds import FeedRepository
from bot.store.health import corpus_counts, schema_versions
from bot.store.instances import InstanceRepository
from bot.store.search import SearchIndex
from bot.store.subscriptions import SubscriptionStore
from bot.store.timefmt import utcnow
from bot.store.topics import TopicRepository
from bot.store.usage import UsageRepository

if TYPE_CHECKING:
    from bot.store.neardups import NearDuplicateIndex
    from bot.store.postings import PostingsIndex
    from bot.store.vectors import VectorRepository


class Store:
    def __init__(self, db: Database, *, index_dir: Path | None = None) -> None:
        """`index_dir`: where the postings index lives; by default beside an SQLite file,
        else only in memory (rebuilt from the store at each start)."""
        self.db = db
        self.index_dir = index_dir
        path = getattr(db, "path", None)
        if index_dir is None and db.dialect == "sqlite" and str(path) != ":memory:":
            self.index_dir = db.path.with_name(db.path.name + ".postings")
        self._postings: PostingsIndex | None = None
        self.articles = ArticleRepository(db)
        self.search = SearchIndex(db)
        self.alternates = AlternateRepository(db)
        self.usage = UsageRepository(db)
        self.feeds = FeedRepository(db)
        self.subscriptions = SubscriptionStore(db)
        self.deliveries = DeliveryLog(db)
        self.topics = TopicRepository(db)
        self.instances = InstanceRepository(db)
        self._vectors: VectorRepository | None = None

    @property
    def vectors(self) -> VectorRepository:
        if self._vectors is None:
            from bot.store.vectors import VectorRepository

            self._vectors = VectorRepository(self.db)
        return self._vectors

    @property
    def postings(self) -> PostingsIndex:
        """The BM25 postings index that follows this store (numpy loads here)."""
        if self._postings is None:
            from bot.store.postings import PostingsIndex

            self._postings = PostingsIndex(self.search, self.index_dir)
        return self._postings

    def near_duplicates(self, threshold: float, min_words: int) -> NearDuplicateIndex:
        from bot.store.neardups import NearDuplicateIndex

        return NearDuplicateIndex(self.db, threshold, min_words)

    def conversations(
        self, *, max_turns: int, max_tokens: int, idle: timedelta, clock: Clock = utcnow
    ) -> ConversationStore:
        return ConversationStore(
            self.db, max_turns=max_turns, max_tokens=max_tokens, idle=idle, clock=clock
        )

    def transaction(self) -> AbstractContextManager[object]:
        """One unit of work: the repositories' writes inside it commit or roll back together."""
        return self.db.transaction()

    def export(self, filters: SearchFilters | None = None) -> Iterator[dict[str, Any]]:
        """Every article (within `filters`) with metadata and alternates, in ingest order."""
        return export_records(self.db, filters)

    def ping(self) -> bool:
        return self.db.ping()

    def schema_versions(self) -> tuple[int, int]:
        """(the database's schema version, the version this briefbot writes)."""
        return schema_versions(self.db)

    def corpus_counts(self) -> dict[str, int]:
        return corpus_counts(self.db)

    def close(self) -> None:
        if self._postings is not None:
            self._postings.flush()  # what it caught up in memory: a faster next start
        self.db.close()
