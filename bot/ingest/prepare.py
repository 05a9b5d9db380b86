"""Preparing an ingest batch: all the work on its records that needs no store.

Records are validated and cleaned into articles, keyed for deduplication, fingerprinted for
near-duplicates, chunked, and their passages tokenised into one postings segment. None of
it reads the store, so it can run in another process (`bot.ingest.worker`) while this one
writes the batch before. The result is columnar (lists of strings, numpy arrays, one
segment) rather than an object per article: it crosses a process boundary cheaply.

The writer (`bot.ingest.pipeline`) decides which articles are stored (duplicates are only
known there), numbers them and their passages, and keeps the segment's rows of the stored
passages.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from bot.config import Settings
from bot.ingest.chunker import passage_spans
from bot.ingest.readers import Record
from bot.ingest.records import to_article
from bot.models import AlternateIn, ArticleIn, Rejection
from bot.store.alternates import AlternateRepository
from bot.store.articles import dedupe_keys, passage_tokens
from bot.store.fingerprint import passage_crc
from bot.store.neardups import BatchPrints, batch_prints
from bot.store.postings import Segment, TermTable, tokenised_segment
from bot.store.records import TokenisedPassages
from bot.store.timefmt import from_db, to_db, utcnow
from bot.text.normalize import normalized_words

if TYPE_CHECKING:
    from collections.abc import Iterable


@dataclass(frozen=True)
class PrepareOptions:
    """What preparing needs from the settings and the store (picklable for a worker)."""

    max_record_bytes: int
    chunk_tokens: int
    chunk_min_tokens: int
    chunk_max_tokens: int
    near_dup_min_words: int | None  # None: near-duplicates are off
    # the store takes ids chosen by the writer: prepare passages, prints and the segment too
    planned: bool

    @classmethod
    def of(cls, settings: Settings, *, planned: bool) -> PrepareOptions:
        ingest = settings.ingest
        return cls(
            max_record_bytes=ingest.max_record_bytes,
            chunk_tokens=ingest.chunk_tokens,
            chunk_min_tokens=ingest.chunk_min_tokens,
            chunk_max_tokens=ingest.chunk_max_tokens,
            near_dup_min_words=ingest.near_dup_min_words if ingest.near_dup_enabled else None,
            planned=planned,
        )


@dataclass
class Passages:
    """The passages of a batch's articles, article after article (planned stores only)."""

    counts: np.ndarray  # int64 per article: its passages (0: the text has none)
    ordinals: np.ndarray  # int64 per passage, and so on
    starts: np.ndarray
    ends: np.ndarray
    tokens: np.ndarray
    crcs: np.ndarray  # uint64 `passage_crc`
    undated: np.ndarray  # bool: its time is the ingest time, known only when written
    # Tokenised here or not (see `prepare_batch`): the title + text words of each passage
    # and its segment, rows numbered 0.. in passage order, ids and mix filled in later.
    words: np.ndarray | None = None
    segment: Segment | None = None


@dataclass
class PreparedBatch:
    """One batch of records, prepared. Articles are numbered 0.. in record order."""

    size: int  # records read (articles and rejections), for progress
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[Rejection] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)  # the record's, for rejections
    stored_origins: list[str] = field(default_factory=list)  # the article's (stripped)
    titles: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    urls: list[str | None] = field(default_factory=list)
    sources: list[str | None] = field(default_factory=list)
    published: list[str | None] = field(default_factory=list)  # stored form (`to_db`)
    ingested: list[str | None] = field(default_factory=list)  # set by an export only
    languages: list[str | None] = field(default_factory=list)
    external_ids: list[str | None] = field(default_factory=list)
    authors: list[str | None] = field(default_factory=list)
    alternates: dict[int, list[AlternateIn]] = field(default_factory=dict)  # exported ones
    curls: list[str | None] = field(default_factory=list)  # `dedupe_keys`
    digests: list[str] = field(default_factory=list)
    copy_keys: list[str] = field(default_factory=list)  # `AlternateRepository.key_with`
    prints: BatchPrints | None = None
    passages: Passages | None = None

    @property
    def count(self) -> int:
        return len(self.titles)

    def article(self, position: int) -> ArticleIn:
        """The article at `position`, as validation returned it."""
        return ArticleIn.model_construct(
            title=self.titles[position],
            text=self.texts[position],
            url=self.urls[position],
            source=self.sources[position],
            published_at=from_db(self.published[position]),
            language=self.languages[position],
            external_id=self.external_ids[position],
            origin=self.stored_origins[position],
            author=self.authors[position],
            ingested_at=from_db(self.ingested[position]),
            alternates=self.alternates.get(position),
        )

    def articles(self) -> list[tuple[str, ArticleIn]]:
        return [(self.origins[i], self.article(i)) for i in range(self.count)]

    def add(self, origin: str, article: ArticleIn, curl: str | None, digest: str) -> None:
        """Append a validated article and its `dedupe_keys`."""
        self.curls.append(curl)
        self.digests.append(digest)
        if article.alternates is not None:
            self.alternates[self.count] = article.alternates
        self.origins.append(origin)
        self.stored_origins.append(article.origin)
        self.titles.append(article.title)
        self.texts.append(article.text)
        self.urls.append(article.url)
        self.sources.append(article.source)
        self.published.append(to_db(article.published_at))
        self.ingested.append(to_db(article.ingested_at))
        self.languages.append(article.language)
        self.external_ids.append(article.external_id)
        self.authors.append(article.author)


def prepare_batch(
    items: Sequence[Record | Rejection],
    options: PrepareOptions,
    stems: TermTable | None = None,
    *,
    tokenise: bool = True,
) -> PreparedBatch:
    """Everything about `items` that needs no store (see the module doc). `stems`: a stem
    cache kept across batches. `tokenise=False` leaves the passages' words and segment to
    the writer (a worker does so when the writer is waiting for it)."""
    batch = PreparedBatch(size=len(items))
    normalized: list[str] = []
    # a `plain_words` text's words: split once for its fingerprint and its passage tokens
    splits: list[list[str] | None] = []
    now = utcnow()  # what "in the future" means for this batch's dates
    for item in items:
        if isinstance(item, Rejection):
            batch.rejected.append(item)
            continue
        article, notes = to_article(
            item.origin,
            item.fields,
            markup=item.markup,
            now=now,
            max_chars=options.max_record_bytes,
        )
        if article is None:
            batch.rejected.extend(notes)
            continue
        batch.warnings.extend(notes)
        # the normalised text serves the content hash, the near-duplicate words and tokens
        body, split = normalized_words(article.text)
        curl, digest = dedupe_keys(article, body)
        batch.add(item.origin, article, curl, digest)
        normalized.append(body)
        splits.append(split)
        if options.near_dup_min_words is not None:
            batch.copy_keys.append(AlternateRepository.key_with(article, curl))
    if not options.planned:
        return batch
    if options.near_dup_min_words is not None:
        texts = list(zip(batch.titles, batch.texts, strict=True))
        batch.prints = batch_prints(texts, options.near_dup_min_words, normalized, splits)
    batch.passages = _passages(
        batch, normalized, splits, options, stems if stems is not None else TermTable(), tokenise
    )
    return batch


def _passages(
    batch: PreparedBatch,
    normalized: list[str],
    splits: list[list[str] | None],
    options: PrepareOptions,
    stems: TermTable,
    tokenise: bool,
) -> Passages:
    """Every article's passages, tokenised as `ArticleRepository.insert_planned` does."""
    counts: list[int] = []
    rows: list[tuple[int, int, int, int]] = []  # ordinal, start, end, tokens
    crcs: list[int] = []
    undated: list[bool] = []
    tokenised = TokenisedPassages()
    for position, (title, text) in enumerate(zip(batch.titles, batch.texts, strict=True)):
        spans = passage_spans(
            text,
            target=options.chunk_tokens,
            min_tokens=options.chunk_min_tokens,
            max_tokens=options.chunk_max_tokens,
        )
        counts.append(len(spans))
        if not spans:
            continue
        stamp = batch.published[position] or batch.ingested[position]
        chunks = [text[start:end] for start, end, _ in spans]
        for ordinal, (start, end, tokens) in enumerate(spans):
            rows.append((ordinal, start, end, tokens))
        crcs.extend(passage_crc(title, chunk) for chunk in chunks)
        undated.extend([stamp is None] * len(spans))
        if not tokenise:
            continue
        title_tokens = passage_tokens(title)
        whole = len(chunks) == 1 and chunks[0] == text
        body, split = (normalized[position], splits[position]) if whole else (None, None)
        for chunk in chunks:
            text_tokens = passage_tokens(chunk, body, split)
            tokenised.words.append(len(title_tokens) + len(text_tokens))
            tokenised.stamps.append(stamp or "")
            tokenised.title_tokens.append(title_tokens)
            tokenised.text_tokens.append(text_tokens)
    total = len(rows)
    columns = np.asarray(rows, dtype=np.int64).reshape(total, 4).T
    passages = Passages(
        counts=np.asarray(counts, dtype=np.int64),
        ordinals=columns[0].copy(),
        starts=columns[1].copy(),
        ends=columns[2].copy(),
        tokens=columns[3].copy(),
        crcs=np.asarray(crcs, dtype=np.uint64),
        undated=np.asarray(undated, dtype=bool),
    )
    if tokenise and total:
        tokenised.ids = list(range(total))
        tokenised.mix = [0] * total
        passages.words = np.asarray(tokenised.words, dtype=np.int64)
        passages.segment = tokenised_segment(tokenised, stems)
    return passages


def batched(items: Iterable[Record | Rejection], size: int) -> Iterable[list[Record | Rejection]]:
    """`items` in lists of `size` (the last one shorter)."""
    batch: list[Record | Rejection] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _libc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


_malloc_trim = _libc_trim()


def release_memory() -> None:
    """Give the C heap's free pages back to the system (glibc; elsewhere a no-op).

    A batch's texts and arrays are freed once it is written, but glibc keeps the pages and
    reuses them only for allocations that fit: over a long ingest the heap of each process
    grows by tens of megabytes without holding anything. Trimming after each batch (a few
    milliseconds) keeps resident memory at what the process holds."""
    if _malloc_trim is not None:
        _malloc_trim(0)


def seconds(stamp: str) -> int:
    """A stored time (`to_db`) as the postings index keeps it."""
    return int(datetime.fromisoformat(stamp).timestamp())
