"""Pydantic models for every boundary of the engine: ingest input, stored rows, answers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class AlternateIn(BaseModel):
    """Another outlet's copy of an article, as `briefbot export` writes it."""

    title: str
    url: str | None = None
    source: str | None = None
    published_at: datetime | None = None
    similarity: float = Field(default=1.0, ge=0.0, le=1.0)


class ArticleIn(BaseModel):
    """An article as read from a file, feed or page, before it is stored."""

    model_config = ConfigDict(str_strip_whitespace=True)

    title: str
    text: str
    url: str | None = None
    source: str | None = None
    published_at: datetime | None = None
    language: str | None = None
    external_id: str | None = None
    origin: str = Field(default="", description="where it came from: file path, line, feed")
    author: str | None = None
    ingested_at: datetime | None = Field(
        default=None, description="kept from an export; otherwise the time it is stored"
    )
    alternates: list[AlternateIn] | None = Field(
        default=None,
        description="set (even empty) by a briefbot export: the store already decided about "
        "near-duplicates, so the article is stored as it is, with these copies",
    )


class Article(BaseModel):
    """A stored article."""

    id: int
    title: str
    text: str
    url: str | None
    source: str | None
    published_at: datetime | None
    ingested_at: datetime
    content_hash: str
    language: str | None = None
    external_id: str | None = None
    author: str | None = None


class ArticleSummary(BaseModel):
    id: int
    title: str
    url: str | None
    source: str | None
    published_at: datetime | None
    ingested_at: datetime


class AlternateSource(BaseModel):
    """Another outlet's copy of a stored (canonical) article: "also reported by …"."""

    canonical_id: int
    title: str
    url: str | None
    source: str | None
    published_at: datetime | None
    similarity: float


class Chunk(BaseModel):
    """A sentence-aligned passage of an article, with character offsets into its text."""

    ordinal: int
    text: str
    start: int
    end: int
    tokens: int = Field(description="at most this many cl100k tokens (see `chunk_text`)")


class Passage(BaseModel):
    """A retrieved chunk with the article it belongs to and its relevance."""

    chunk_id: int
    article_id: int
    ordinal: int
    text: str
    start: int
    end: int
    title: str
    url: str | None
    source: str | None
    published_at: datetime | None
    ingested_at: datetime
    score: float = 0.0
    coverage: float = Field(default=0.0, description="share of query term weight matched")


class SearchFilters(BaseModel):
    since: datetime | None = None
    until: datetime | None = None
    source: str | None = None


class Rejection(BaseModel):
    origin: str
    reason: str


class IngestReport(BaseModel):
    added: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = Field(default_factory=list)
    warnings: list[Rejection] = Field(default_factory=list)
    added_ids: list[int] = Field(default_factory=list)
    near_duplicates: int = Field(
        default=0, description="copies recorded as alternate sources of a stored article"
    )

    def merge(self, other: IngestReport) -> None:
        self.added += other.added
        self.duplicates += other.duplicates
        self.near_duplicates += other.near_duplicates
        self.rejected.extend(other.rejected)
        self.warnings.extend(other.warnings)
        self.added_ids.extend(other.added_ids)


class AnswerSentence(BaseModel):
    text: str
    citations: list[int]
    answer_line: bool = Field(
        default=False,
        description="the answer itself (a name, place, number or date), shown on its own line "
        "before the sentences that give it",
    )


class Disagreement(BaseModel):
    """Where the cited sources contradict each other, as one line with inline `[n]` markers."""

    text: str
    citations: list[int]


class SourceRef(BaseModel):
    n: int
    article_id: int
    title: str
    url: str | None
    source: str | None
    published_at: datetime | None
    quote: str
    also_reported_by: list[str] = Field(
        default_factory=list, description="other outlets that carried the same (wire) article"
    )


class DroppedSentence(BaseModel):
    """A model sentence that verification removed, and why (`reason` is a short code)."""

    text: str
    reason: str
    detail: str = ""


class Verification(BaseModel):
    sentences_kept: int = 0
    sentences_dropped: int = 0
    citations_removed: int = 0
    sentences_over_limit: int = 0
    dropped: list[DroppedSentence] = Field(default_factory=list)
    model_check: str | None = None
    model_check_tokens: int = 0


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class AbstentionWhy(BaseModel):
    """Why the engine abstained: what the best evidence lacked and which filters applied."""

    confidence: float = Field(description="calibrated confidence of the best evidence")
    threshold: float
    best_coverage: float = Field(description="share of the question's terms in the best passage")
    missing_terms: list[str] = Field(default_factory=list)
    filters: list[str] = Field(default_factory=list, description="filters the search applied")
    lacking: str | None = Field(
        default=None, description="what the question asks that no source sentence gives"
    )


class Answer(BaseModel):
    """The engine's reply to a question; the `--json` CLI contract."""

    question: str
    answer: str
    abstained: bool
    mode: Literal["extractive", "llm"] = "extractive"
    sentences: list[AnswerSentence] = Field(default_factory=list)
    sources: list[SourceRef] = Field(default_factory=list)
    standalone_question: str | None = None
    fallback_reason: str | None = None
    note: str | None = None
    verification: Verification | None = None
    usage: Usage | None = None
    confidence: float | None = Field(
        default=None, description="calibrated confidence of the extractive evidence (0..1)"
    )
    why: AbstentionWhy | None = None
    disagreements: list[Disagreement] = Field(
        default_factory=list, description="conflicting claims among the cited sources"
    )
    language: str | None = Field(
        default=None, description="language of the answer text (ISO 639-1) when known"
    )


class Turn(BaseModel):
    """One exchange of a conversation, used to understand follow-up questions."""

    question: str
    answer: str


class Stats(BaseModel):
    articles: int
    chunks: int
    sources: int
    first_published: datetime | None
    last_published: datetime | None
    db_bytes: int


class Feed(BaseModel):
    """A subscribed feed and its polling state."""

    id: int
    url: str
    name: str | None
    interval_minutes: int
    added_at: datetime
    next_poll_at: datetime
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = None
    consecutive_failures: int = 0
    last_error: str | None = None
    paused: bool = False
    entries_seen: int = 0
    articles_added: int = 0

    @property
    def label(self) -> str:
        return self.name or self.url


class PollResult(BaseModel):
    """The outcome of polling one feed."""

    feed_id: int
    url: str
    status: Literal["ok", "not_modified", "error"]
    entries: int = 0
    new_entries: int = 0
    pages_fetched: int = 0
    pages_failed: int = 0
    report: IngestReport = Field(default_factory=IngestReport)
    error: str | None = None
    paused: bool = Field(default=False, description="this failure paused the feed")


class UrlIngestResult(BaseModel):
    """What `/add <url>` and `briefbot ingest URL` did with one page."""

    url: str
    final_url: str
    title: str
    status: Literal["added", "duplicate", "near_duplicate", "rejected"]
    article_id: int | None = Field(
        default=None, description="the new article, or the stored one it duplicates"
    )
    reason: str | None = None


class RemovalResult(BaseModel):
    """What `articles remove` / `/remove` did with one reference (an id or a URL)."""

    ref: str
    removed: bool
    article_id: int | None = None
    title: str | None = None


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    INACTIVE = "inactive"


class Subscription(BaseModel):
    """A chat's (or forum thread's) daily briefing at a local time in an IANA timezone."""

    id: int
    chat_id: int
    thread_id: int | None = None
    time_of_day: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    timezone: str
    keywords: list[str] = Field(default_factory=list)
    status: SubscriptionStatus = SubscriptionStatus.ACTIVE
    status_reason: str | None = None
    created_at: datetime
    updated_at: datetime
    last_slot: datetime | None = Field(default=None, description="latest slot handled")


class DeliveryStatus(StrEnum):
    CLAIMED = "claimed"  # taken by a worker, nothing sent yet
    SENDING = "sending"  # handed to `send`; never retried (it may have gone out)
    SENT = "sent"
    EMPTY = "empty"  # nothing new and briefing_empty = silent
    RETRY = "retry"  # send reported nothing delivered; may be tried again
    FAILED = "failed"  # gave up
    SKIPPED = "skipped"  # missed beyond the grace period
    BLOCKED = "blocked"  # the chat blocked the bot; subscription deactivated


class Delivery(BaseModel):
    chat_id: int
    thread_id: int | None
    slot: datetime
    subscription_id: int | None
    status: DeliveryStatus
    attempts: int = 0
    detail: str | None = None
    stories: int | None = None
    updated_at: datetime


class SubscribeRequest(BaseModel):
    """Parsed `/subscribe [HH:MM] [timezone] [keywords…]`."""

    time_of_day: str
    timezone: str
    timezone_origin: Literal["given", "chat", "default"]
    keywords: list[str] = Field(default_factory=list)
