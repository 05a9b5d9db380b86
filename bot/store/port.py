"""The storage port: one database and the repositories over it.

Everything above `bot/store/` reaches the database through a `Store`: repositories with
intent-named methods, never SQL. Numpy-backed parts (vectors, near-duplicates) are built on
first use so that a plain `briefbot ask` does not load numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.models import SearchFilters, Stats
from bot.store.alternates import AlternateRepository
from bot.store.articles import ArticleRepository
from bot.store.conversations import Clock, ConversationStore
from bot.store.db import DB, Database
from bot.store.deliveries import DeliveryLog
from bot.store.errors import StoreError
from bot.store.export import export_records
from bot.store.feeds import FeedRepository
from bot.store.health import corpus_counts, schema_versions
from bot.store.instances import InstanceRepository
from bot.store.locks import JobLock, LocalLock
from bot.store.search import SearchIndex
from bot.store.subscriptions import SubscriptionStore
from bot.store.timefmt import utcnow
from bot.store.topics import TopicRepository
from bot.store.usage import UsageRepository

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.store.neardups import NearDuplicateIndex
    from bot.store.postings import PostingsIndex
    from bot.store.vectors import VectorRepository


def open_database(settings: Settings, *, migrate_schema: bool = True) -> DB:
    """PostgreSQL when `database_url` is set, else the SQLite file in the data directory."""
    url = settings.store.database_url
    if url is None:
        return Database(settings.database, migrate_schema=migrate_schema)
    try:
        from bot.store.postgres.db import PgDatabase
    except ImportError as exc:
        raise StoreError(
            f"BRIEFBOT_DATABASE_URL names PostgreSQL but its driver is missing ({exc});"
            ' install it with: pip install "briefbot[postgres]"'
        ) from exc
    return PgDatabase(url.get_secret_value(), migrate_schema=migrate_schema)


def database_label(settings: Settings) -> str:
    """Where the data lives, fit for messages: the SQLite path or the URL without password."""
    url = settings.store.database_url
    if url is None:
        return str(settings.database)
    from bot.store.postgres.db import redacted

    return redacted(url.get_secret_value())


def copy_to_postgres(
    store: Store, url: str, progress: Callable[[str, int], None] | None = None
) -> tuple[dict[str, int], Stats]:
    """Copy an SQLite store into the PostgreSQL database at `url` (resumable, idempotent);
    returns the rows written per table and the target's stats."""
    if not isinstance(store.db, Database):
        raise StoreError("db copy reads an SQLite store: unset BRIEFBOT_DATABASE_URL")
    try:
        from bot.store.postgres.copy import copy_store
        from bot.store.postgres.db import PgDatabase
    except ImportError as exc:
        raise StoreError(
            f'PostgreSQL driver missing ({exc}); install it with: pip install "briefbot[postgres]"'
        ) from exc
    target = PgDatabase(url)
    try:
        written = copy_store(store.db, target, progress=progress)
        return written, Store(target).articles.stats()
    finally:
        target.close()


def index_dir(settings: Settings) -> Path:
    """Where this instance keeps the postings index: `store.index_dir`, else beside the
    SQLite file, or in the data directory with PostgreSQL (each instance its own copy,
    following the shared database; instances on one host may share a data directory)."""
    if settings.store.index_dir is not None:
        return settings.store.index_dir
    if settings.store.database_url is None:
        return settings.database.with_name(settings.database.name + ".postings")
    return settings.store.data_dir / "postgres.postings"


class Store:
    def __init__(
        self, db: DB, *, index_dir: Path | None = None, postings_index: bool = True
    ) -> None:
        """`index_dir`: where the postings index lives (default: beside the SQLite file;
        in memory for an in-memory or a PostgreSQL database). `postings_index` False: a
        PostgreSQL store ranks through its own full-text index instead."""
        self.db = db
        self.index_dir = index_dir
        if index_dir is None and isinstance(db, Database) and str(db.path) != ":memory:":
            self.index_dir = db.path.with_name(db.path.name + ".postings")
        self._postings: PostingsIndex | None = None
        self._postings_wanted = postings_index
        self._has_postings: bool | None = None
        self.articles: ArticleRepository
        self.search: SearchIndex
        if db.dialect == "postgresql":
            from bot.store.postgres.articles import PgArticleRepository
            from bot.store.postgres.search import PgSearchIndex
            from bot.store.postgres.topics import PgTopicRepository

            self.articles, self.search = PgArticleRepository(db), PgSearchIndex(db)
            self.topics: TopicRepository = PgTopicRepository(db)
        else:
            self.articles, self.search = ArticleRepository(db), SearchIndex(db)
            self.topics = TopicRepository(db, lambda: self.postings)
        self.alternates = AlternateRepository(db)
        self.usage = UsageRepository(db)
        self.feeds = FeedRepository(db)
        self.subscriptions = SubscriptionStore(db)
        self.deliveries = DeliveryLog(db)
        self.instances = InstanceRepository(db)
        self._vectors: VectorRepository | None = None

    @property
    def vectors(self) -> VectorRepository:
        if self._vectors is None:
            if self.db.dialect == "postgresql":
                from bot.store.postgres.vectors import PgVectorRepository

                self._vectors = PgVectorRepository(self.db)
            else:
                from bot.store.vectors import VectorRepository

                self._vectors = VectorRepository(self.db)
        return self._vectors

    @classmethod
    def open(cls, settings: Settings, db: DB | None = None) -> Store:
        """The store `settings` name (or `db`), with its postings index where they say."""
        return cls(
            db or open_database(settings),
            index_dir=index_dir(settings),
            postings_index=settings.store.postings_index,
        )

    @property
    def has_postings(self) -> bool:
        """Whether searches rank over the postings index: always on SQLite; on PostgreSQL
        unless turned off, or while the database does not keep the corpus fingerprint the
        index checks itself against (a schema older than this briefbot, opened without
        migrating). Otherwise PostgreSQL ranks through its own full-text index."""
        if self._has_postings is None:
            self._has_postings = self.db.dialect == "sqlite" or (
                self._postings_wanted and self.search.keeps_fingerprint()
            )
        return self._has_postings

    @property
    def postings(self) -> PostingsIndex:
        """The BM25 postings index that follows this store (numpy loads here)."""
        if self._postings is None:
            from bot.store.postings import PostingsIndex

            self._postings = PostingsIndex(self.search, self.index_dir)
        return self._postings

    def bulk_writes(self) -> AbstractContextManager[None]:
        """Around a long run of batch writes (an ingest): fewer SQLite checkpoints."""
        if isinstance(self.db, Database):
            return self.db.fewer_checkpoints()
        return nullcontext()

    def near_duplicates(self, threshold: float, min_words: int) -> NearDuplicateIndex:
        from bot.store.neardups import NearDuplicateIndex, PrintsIndex

        kind = PrintsIndex if self.db.dialect == "sqlite" else NearDuplicateIndex
        return kind(self.db, threshold, min_words)

    def conversations(
        self, *, max_turns: int, max_tokens: int, idle: timedelta, clock: Clock = utcnow
    ) -> ConversationStore:
        return ConversationStore(
            self.db, max_turns=max_turns, max_tokens=max_tokens, idle=idle, clock=clock
        )

    def job_lock(self, name: str) -> JobLock:
        """The lock that lets one instance at a time run the periodic job `name`."""
        if isinstance(self.db, Database):
            return LocalLock(name)
        from bot.store.postgres.db import PgDatabase
        from bot.store.postgres.locks import AdvisoryLock

        assert isinstance(self.db, PgDatabase)
        return AdvisoryLock(self.db, name)

    def transaction(self) -> AbstractContextManager[object]:
        """One unit of work: the repositories' writes inside it commit or roll back together."""
        return self.db.transaction()

    @property
    def dialect(self) -> str:
        return self.db.dialect

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
