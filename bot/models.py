"""Pydantic models for every boundary of the engine: ingest input, stored rows, answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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


class ArticleSummary(BaseModel):
    id: int
    title: str
    url: str | None
    source: str | None
    published_at: datetime | None
    ingested_at: datetime


class Chunk(BaseModel):
    """A sentence-aligned passage of an article, with character offsets into its text."""

    ordinal: int
    text: str
    start: int
    end: int
    tokens: int


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

    def merge(self, other: IngestReport) -> None:
        self.added += other.added
        self.duplicates += other.duplicates
        self.rejected.extend(other.rejected)
        self.warnings.extend(other.warnings)
        self.added_ids.extend(other.added_ids)


class AnswerSentence(BaseModel):
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


class Verification(BaseModel):
    sentences_kept: int = 0
    sentences_dropped: int = 0
    citations_removed: int = 0


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0


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
