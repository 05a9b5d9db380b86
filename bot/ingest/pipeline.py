"""Ingest files and folders into the store, batching commits and reporting every outcome."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from bot.ingest.chunker import chunk_text
from bot.ingest.readers import ReadLimits, Record, is_supported, read_path
from bot.ingest.records import to_article
from bot.models import ArticleIn, Chunk, IngestReport, Rejection
from bot.store.alternates import AlternateRepository
from bot.store.articles import PlannedArticle, dedupe_keys
from bot.store.errors import ConflictError, StoreError
from bot.store.port import Store
from bot.store.records import TokenisedPassages
from bot.store.timefmt import utcnow
from bot.text.normalize import normalized_text

if TYPE_CHECKING:
    from bot.store.neardups import NearDuplicateBatch, NearDuplicateIndex

Progress = Callable[[int], None]


def expand_paths(paths: Iterable[Path]) -> Iterator[Path | Rejection]:
    """Files as given, folders walked recursively (hidden entries and unknown types skipped)."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                if child.is_file() and is_supported(child):
                    yield child
        elif path.is_file():
            yield path
        else:
            yield Rejection(origin=str(path), reason="no such file or directory")


_collector_lock = threading.Lock()
_collector_users = 0
_collector_threshold: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def fewer_collections(every: int = 50_000) -> Iterator[None]:
    """Run CPython's cycle collector every `every` allocations, not every 700, and keep the
    objects that exist already (imports, caches) out of its full passes.

    Ingest allocates millions of short-lived containers (records, models, row tuples) that
    reference counting frees; with the default settings the collector ran thousands of
    times per 50,000 items and took ~14% of the CPU. Cycles are still collected, later.
    The setting is process-wide: overlapping ingests (the bot's feed jobs) share it, and the
    last one out restores what the first one found.
    """
    global _collector_users, _collector_threshold
    with _collector_lock:
        if _collector_users == 0:
            _collector_threshold = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(max(_collector_threshold[0], every), *_collector_threshold[1:])
        _collector_users += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector_users -= 1
            if _collector_users == 0:
                gc.set_threshold(*_collector_threshold)
                gc.unfreeze()


class Ingestor:
    """Writes articles in batches, each batch in one transaction and a few statements.

    A crash loses at most the uncommitted batch and never leaves an article without its
    chunks or index rows. If writing the batch at once fails, it is written again one
    article at a time, each in its own savepoint, so a failure rolls back only its article.
    """

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.articles = store.articles
        self.alternates = store.alternates
        self._near_dups: NearDuplicateIndex | None = None
        # Called after each batch commits, with the ids it added (e.g. to embed them).
        self.after_batch: list[Callable[[list[int]], object]] = []

    @property
    def near_dups(self) -> NearDuplicateIndex | None:
        """The near-duplicate index, built on first ingest (it loads numpy), or None if off."""
        if self._near_dups is None and self.settings.ingest.near_dup_enabled:
            self._near_dups = self.store.near_duplicates(
                self.settings.ingest.near_dup_threshold, self.settings.ingest.near_dup_min_words
            )
        return self._near_dups

    def ingest_paths(self, paths: Iterable[Path], progress: Progress | None = None) -> IngestReport:
        limits = ReadLimits(
            self.settings.ingest.max_file_bytes, self.settings.ingest.max_record_bytes
        )

        def records() -> Iterator[Record | Rejection]:
            for item in expand_paths(paths):
                if isinstance(item, Rejection):
                    yield item
                else:
                    yield from read_path(item, limits)

        return self.ingest_records(records(), progress)

    def ingest_records(
        self, records: Iterable[Record | Rejection], progress: Progress | None = None
    ) -> IngestReport:
        report = IngestReport()
        batch: list[Record | Rejection] = []
        processed = 0
        with fewer_collections(), self.store.bulk_writes():
            for item in records:
                batch.append(item)
                if len(batch) >= self.settings.ingest.batch:
                    processed += self._write_batch(batch, report)
                    batch = []
                    if progress:
                        progress(processed)
            if batch:
                processed += self._write_batch(batch, report)
                if progress:
                    progress(processed)
        if report.added and self.store.has_postings:
            self.store.postings.flush()
        return report

    def ingest_articles(self, articles: Iterable[ArticleIn]) -> IngestReport:
        return self.ingest_records(Record(origin=a.origin, fields=a.model_dump()) for a in articles)

    def _write_batch(self, batch: list[Record | Rejection], report: IngestReport) -> int:
        """Write one batch; returns its size. Empties `batch` once its records are read, and
        drops the articles once written: the index work after them is the memory peak."""
        size = len(batch)
        first = len(report.added_ids)
        now = utcnow()  # what "in the future" means for this batch's dates
        articles: list[tuple[str, ArticleIn]] = []
        for item in batch:
            if isinstance(item, Rejection):
                report.rejected.append(item)
                continue
            article, notes = to_article(
                item.origin,
                item.fields,
                markup=item.markup,
                now=now,
                max_chars=self.settings.ingest.max_record_bytes,
            )
            if article is None:
                report.rejected.extend(notes)
                continue
            report.warnings.extend(notes)
            articles.append((item.origin, article))
        batch.clear()
        passages: TokenisedPassages | None = None
        with self.store.transaction():
            planned = self._write_planned(articles)
            if planned is None:
                written = self._write_each(articles)
            else:
                written, passages = planned
        articles.clear()
        report.merge(written)
        if len(report.added_ids) > first and self.store.has_postings:
            # the new passages are searchable from now on
            if passages is not None:
                self.store.postings.add_committed(passages)
            else:
                self.store.postings.sync()
        # After the commit: a hook may be slow (an embeddings endpoint over HTTP) and must not
        # hold the write lock; what it fails to do is redone later (`briefbot reindex`).
        for hook in self.after_batch:
            hook(report.added_ids[first:])
        return size

    def _write_planned(
        self, articles: list[tuple[str, ArticleIn]]
    ) -> tuple[IngestReport, TokenisedPassages] | None:
        """The batch in a few statements: duplicates looked up at once, ids chosen here,
        then every article and chunk written together; with the passages written, tokenised.
        None when the store chooses ids itself or a write fails: the caller then writes one
        article at a time.
        """
        ids = self.articles.next_ids()
        if ids is None:
            return None
        next_article, next_chunk = ids
        part = IngestReport()
        # the normalised text serves both the content hash and the near-duplicate words
        normalized = [normalized_text(a.text) for _, a in articles]
        dups = self.near_dups
        near = dups.batch([a for _, a in articles], normalized) if dups is not None else None
        keys = [dedupe_keys(a, n) for (_, a), n in zip(articles, normalized, strict=True)]
        known = self.articles.find_duplicates(keys)
        pairs = zip(articles, keys, strict=True)
        copy_keys = [AlternateRepository.key_with(a, c) for (_, a), (c, _) in pairs] if near else []
        copied = self.alternates.recorded_keys(sorted(set(copy_keys))) if near else set()
        planned: list[PlannedArticle] = []
        copies: list[Callable[[], object]] = []  # alternates, once their articles exist
        for position, ((origin, article), (curl, digest)) in enumerate(
            zip(articles, keys, strict=True)
        ):
            duplicate_of = known.get(digest) or (known.get(curl) if curl else None)
            if duplicate_of is not None:
                part.duplicates += 1
                if near is not None:
                    copies.append(partial(self.alternates.add, duplicate_of, article, 1.0))
                    copied.add(copy_keys[position])
                if article.alternates:
                    copies.append(
                        partial(self.alternates.restore, duplicate_of, article.alternates)
                    )
                continue
            if near is not None and copy_keys[position] in copied:
                # a copy seen before: matching it again could tie it to a story stored after it
                part.duplicates += 1
                continue
            match = near.find(position) if near is not None and article.alternates is None else None
            if match is not None:
                copies.append(
                    partial(self.alternates.add, match.article_id, article, match.similarity)
                )
                copied.add(copy_keys[position])
                part.near_duplicates += 1
                continue
            chunks = self._chunks(article)
            if not chunks:
                part.rejected.append(Rejection(origin=origin, reason="empty text"))
                continue
            article_id, next_article = next_article, next_article + 1
            chunk_ids = list(range(next_chunk, next_chunk + len(chunks)))
            next_chunk += len(chunks)
            planned.append(
                PlannedArticle(
                    article_id, article, chunks, (curl, digest), chunk_ids, normalized[position]
                )
            )
            known[digest] = article_id
            if curl:
                known[curl] = article_id
            if near is not None:
                near.add(position, article_id)
            if article.alternates:
                copies.append(partial(self.alternates.restore, article_id, article.alternates))
            part.added_ids.append(article_id)
            part.added += 1
        try:
            passages = self.articles.insert_planned(planned)
        except StoreError:
            return None
        for record in copies:
            record()
        if near is not None:
            near.flush()
        return part, passages

    def _write_each(self, articles: list[tuple[str, ArticleIn]]) -> IngestReport:
        """The batch one article at a time, each in its own savepoint."""
        part = IngestReport()
        index_rows: list[tuple[Any, ...]] = []
        near = self.near_dups.batch([a for _, a in articles]) if self.near_dups else None
        for position, (origin, article) in enumerate(articles):
            self._write_one(origin, article, part, near, position, index_rows)
        if near is not None:
            near.flush()
        # after every savepoint of the batch: only articles that were kept have rows
        self.articles.write_index_rows(index_rows)
        return part

    def _chunks(self, article: ArticleIn) -> list[Chunk]:
        return chunk_text(
            article.text,
            target=self.settings.ingest.chunk_tokens,
            min_tokens=self.settings.ingest.chunk_min_tokens,
            max_tokens=self.settings.ingest.chunk_max_tokens,
        )

    def _write_one(
        self,
        origin: str,
        article: ArticleIn,
        report: IngestReport,
        near: NearDuplicateBatch | None,
        position: int,
        index_rows: list[tuple[Any, ...]],
    ) -> None:
        keys = dedupe_keys(article)
        duplicate_of = self.articles.find_duplicate(article, keys)
        if duplicate_of is not None:
            report.duplicates += 1
            if near is not None:
                self.alternates.add(duplicate_of, article, 1.0)
            if article.alternates:
                self.alternates.restore(duplicate_of, article.alternates)
            return
        if near is not None and self.alternates.recorded(article):
            # a copy seen before: matching it again could tie it to a story stored after it
            report.duplicates += 1
            return
        # an exported article was kept apart by the store it came from: never merge it now
        match = near.find(position) if near is not None and article.alternates is None else None
        if match is not None:
            # a wire copy: one canonical article, the others are its alternate sources
            self.alternates.add(match.article_id, article, match.similarity)
            report.near_duplicates += 1
            return
        chunks = self._chunks(article)
        if not chunks:
            report.rejected.append(Rejection(origin=origin, reason="empty text"))
            return
        try:
            # its own savepoint: a failure rolls back this article only
            article_id = self.articles.insert(article, chunks, keys, index_rows)
        except ConflictError:
            report.duplicates += 1
            return
        except StoreError as exc:
            report.rejected.append(Rejection(origin=origin, reason=f"store error: {exc}"))
            return
        if near is not None:
            near.add(position, article_id)
        if article.alternates:
            self.alternates.restore(article_id, article.alternates)
        report.added_ids.append(article_id)
        report.added += 1
