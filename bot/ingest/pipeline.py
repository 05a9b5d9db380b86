"""Ingest files and folders into the store, batching commits and reporting every outcome."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.config import Settings
from bot.ingest.chunker import chunk_text
from bot.ingest.prepare import (
    Passages,
    PreparedBatch,
    PrepareOptions,
    batched,
    prepare_batch,
    release_memory,
    seconds,
)
from bot.ingest.readers import ReadLimits, Record, read_paths
from bot.ingest.worker import PrepareWorker, input_bytes, usable_cpus
from bot.models import ArticleIn, Chunk, IngestReport, Rejection
from bot.store.articles import dedupe_keys, passage_tokens
from bot.store.errors import ConflictError, StoreError
from bot.store.fingerprint import passage_hashes, sum_hashes
from bot.store.port import Store
from bot.store.postings import Segment, TermTable, merge_segments
from bot.store.records import TokenisedPassages
from bot.store.timefmt import to_db, utcnow

if TYPE_CHECKING:
    from bot.store.neardups import NearDuplicateBatch, NearDuplicateIndex

Progress = Callable[[int], None]


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
        """Ingest files and folders. A large input is read and prepared by a worker process
        (`bot.ingest.worker`) while this one writes; a small one, on a single CPU, or with
        `ingest.workers` 0, all here."""
        paths = list(paths)
        limits = ReadLimits(
            self.settings.ingest.max_file_bytes, self.settings.ingest.max_record_bytes
        )
        if (
            self.settings.ingest.workers
            and usable_cpus() > 1
            and input_bytes(paths) >= self.settings.ingest.worker_min_bytes
        ):
            options = self._prepare_options()
            with PrepareWorker(paths, limits, options, self.settings.ingest.batch) as worker:
                return self._ingest_prepared(worker.batches(), progress)

        return self.ingest_records(read_paths(paths, limits), progress)

    def ingest_records(
        self, records: Iterable[Record | Rejection], progress: Progress | None = None
    ) -> IngestReport:
        options = self._prepare_options()
        stems = TermTable()
        batches = (
            prepare_batch(batch, options, stems)
            for batch in batched(records, self.settings.ingest.batch)
        )
        return self._ingest_prepared(batches, progress)

    def ingest_articles(self, articles: Iterable[ArticleIn]) -> IngestReport:
        return self.ingest_records(Record(origin=a.origin, fields=a.model_dump()) for a in articles)

    def _prepare_options(self) -> PrepareOptions:
        return PrepareOptions.of(self.settings, planned=self.articles.plans_ids)

    def _ingest_prepared(
        self, batches: Iterable[PreparedBatch], progress: Progress | None
    ) -> IngestReport:
        report = IngestReport()
        processed = 0
        with fewer_collections(), self.store.bulk_writes():
            for batch in batches:
                processed += self._write_batch(batch, report)
                del batch
                release_memory()
                if progress:
                    progress(processed)
        if report.added and self.store.has_postings:
            self.store.postings.flush()
        return report

    def _write_batch(self, batch: PreparedBatch, report: IngestReport) -> int:
        """Write one prepared batch in one transaction; returns its number of records."""
        report.rejected.extend(batch.rejected)
        report.warnings.extend(batch.warnings)
        first = len(report.added_ids)
        passages: Segment | TokenisedPassages | None = None
        with self.store.transaction():
            planned = self._write_planned(batch)
            if planned is None:
                written = self._write_each(batch.articles())
            else:
                written, passages = planned
        report.merge(written)
        release_memory()  # the rows written: their heap back before the index work
        if len(report.added_ids) > first and self.store.has_postings:
            # the new passages are searchable from now on
            if isinstance(passages, Segment):
                self.store.postings.add_segment(passages)
            elif passages is not None:
                self.store.postings.add_committed(passages)
            else:
                self.store.postings.sync()
        # After the commit: a hook may be slow (an embeddings endpoint over HTTP) and must not
        # hold the write lock; what it fails to do is redone later (`briefbot reindex`).
        for hook in self.after_batch:
            hook(report.added_ids[first:])
        return batch.size

    def _write_planned(
        self, batch: PreparedBatch
    ) -> tuple[IngestReport, Segment | TokenisedPassages | None] | None:
        """The batch in a few statements: duplicates looked up at once, ids chosen here,
        then every article and passage written together, and the prepared segment cut to the
        passages written. None when the store chooses ids itself or a write fails: the
        caller then writes one article at a time.
        """
        prepared = batch.passages
        ids = self.articles.next_ids() if prepared is not None else None
        if prepared is None or ids is None:
            return None
        next_article, next_chunk = ids
        part = IngestReport()
        dups = self.near_dups
        near = dups.batch_of(batch.prints) if dups is not None and batch.prints else None
        keys = list(zip(batch.curls, batch.digests, strict=True))
        known = self.articles.find_duplicates(keys)
        copy_keys = batch.copy_keys if near is not None else []
        copied = self.alternates.recorded_keys(sorted(set(copy_keys))) if near else set()
        counts = prepared.counts.tolist()
        starts = (np.cumsum(prepared.counts) - prepared.counts).tolist()
        stored: list[tuple[int, int]] = []  # (position, article id)
        copies: list[Callable[[], object]] = []  # alternates, once their articles exist
        for position, (curl, digest) in enumerate(keys):
            copies_of = batch.alternates.get(position)  # None unless exported
            duplicate_of = known.get(digest) or (known.get(curl) if curl else None)
            if duplicate_of is not None:
                part.duplicates += 1
                if near is not None:
                    article = batch.article(position)
                    copies.append(partial(self.alternates.add, duplicate_of, article, 1.0))
                    copied.add(copy_keys[position])
                if copies_of:
                    copies.append(partial(self.alternates.restore, duplicate_of, copies_of))
                continue
            if near is not None and copy_keys[position] in copied:
                # a copy seen before: matching it again could tie it to a story stored after it
                part.duplicates += 1
                continue
            match = near.find(position) if near is not None and copies_of is None else None
            if match is not None:
                article = batch.article(position)
                copies.append(
                    partial(self.alternates.add, match.article_id, article, match.similarity)
                )
                copied.add(copy_keys[position])
                part.near_duplicates += 1
                continue
            if not counts[position]:
                part.rejected.append(Rejection(origin=batch.origins[position], reason="empty text"))
                continue
            article_id, next_article = next_article, next_article + 1
            stored.append((position, article_id))
            known[digest] = article_id
            if curl:
                known[curl] = article_id
            if near is not None:
                near.add(position, article_id)
            if copies_of:
                copies.append(partial(self.alternates.restore, article_id, copies_of))
            part.added_ids.append(article_id)
            part.added += 1
        now = str(to_db(utcnow()))  # one ingest time for the batch
        live = np.zeros(prepared.crcs.size, dtype=bool)
        for position, _ in stored:
            live[starts[position] : starts[position] + counts[position]] = True
        chunk_ids = np.arange(next_chunk, next_chunk + int(live.sum()), dtype=np.int64)
        mix = passage_hashes(chunk_ids, prepared.crcs[live])
        # the worker tokenised the passages, or left that to this process (it was behind)
        tokenised = None if prepared.words is not None else TokenisedPassages()
        words = self._words(batch, stored, tokenised, now)
        article_rows = [
            (
                article_id,
                batch.titles[position],
                batch.texts[position],
                batch.urls[position],
                batch.curls[position],
                batch.sources[position],
                batch.published[position],
                batch.ingested[position] or now,
                batch.digests[position],
                batch.languages[position],
                batch.external_ids[position],
                batch.stored_origins[position],
                batch.authors[position],
            )
            for position, article_id in stored
        ]
        chunk_rows: list[tuple[Any, ...]] = []
        ordinals, begins = prepared.ordinals.tolist(), prepared.starts.tolist()
        ends, tokens = prepared.ends.tolist(), prepared.tokens.tolist()
        passage_words = iter(words)
        chunk_id = next_chunk
        for position, article_id in stored:
            text = batch.texts[position]
            for p in range(starts[position], starts[position] + counts[position]):
                chunk_rows.append(
                    (
                        chunk_id,
                        article_id,
                        ordinals[p],
                        begins[p],
                        ends[p],
                        tokens[p],
                        next(passage_words),
                        text[begins[p] : ends[p]],
                    )
                )
                chunk_id += 1
        if article_rows:
            try:
                self.articles.write_rows(article_rows, chunk_rows, sum(words), sum_hashes(mix))
            except StoreError:
                return None
        for record in copies:
            record()
        if near is not None:
            near.flush()
        if not chunk_rows:
            return part, None
        if tokenised is not None:
            tokenised.ids, tokenised.mix = chunk_ids.tolist(), mix.tolist()
            return part, tokenised
        return part, self._segment(prepared, live, chunk_ids, mix, now)

    @staticmethod
    def _words(
        batch: PreparedBatch,
        stored: list[tuple[int, int]],
        tokenised: TokenisedPassages | None,
        now: str,
    ) -> list[int]:
        """The words (title + text) of the stored articles' passages: as prepared, or
        counted here while tokenising them into `tokenised` (as the worker would have)."""
        prepared = batch.passages
        assert prepared is not None
        counts = prepared.counts.tolist()
        starts = (np.cumsum(prepared.counts) - prepared.counts).tolist()
        if tokenised is None:
            assert prepared.words is not None
            keep = [
                p
                for position, _ in stored
                for p in range(starts[position], starts[position] + counts[position])
            ]
            return prepared.words[keep].tolist() if keep else []
        begins, ends = prepared.starts.tolist(), prepared.ends.tolist()
        for position, _ in stored:
            title_tokens = passage_tokens(batch.titles[position])
            text = batch.texts[position]
            stamp = batch.published[position] or batch.ingested[position] or now
            for p in range(starts[position], starts[position] + counts[position]):
                # without the normalised text: the same words (in their case) and stems
                text_tokens = passage_tokens(text[begins[p] : ends[p]])
                tokenised.words.append(len(title_tokens) + len(text_tokens))
                tokenised.stamps.append(stamp)
                tokenised.title_tokens.append(title_tokens)
                tokenised.text_tokens.append(text_tokens)
        return tokenised.words

    @staticmethod
    def _segment(
        prepared: Passages, live: np.ndarray, ids: np.ndarray, mix: np.ndarray, now: str
    ) -> Segment:
        """The prepared segment cut to the passages written, with their ids and hashes."""
        segment = prepared.segment
        assert segment is not None
        if not live.all():
            segment = merge_segments([segment], [live])
        when = np.where(prepared.undated[live], seconds(now), segment.when).astype(np.int64)
        return replace(segment, ids=ids, mix=mix, when=when)

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
