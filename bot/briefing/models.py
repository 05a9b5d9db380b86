"""Pydantic models of briefings: the `brief --json` contract and what a transport reports."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from bot.models import AnswerSentence, Disagreement, SourceRef


class Story(BaseModel):
    """One news event: a headline and 1–3 cited sentences, numbers shared across the briefing."""

    headline: str
    sentences: list[AnswerSentence] = Field(default_factory=list)
    sources: list[SourceRef] = Field(default_factory=list, description="articles cited here")
    article_ids: list[int] = Field(default_factory=list, description="every article of the story")
    articles: int = Field(description="articles in the story, syndicated copies included")
    duplicates: int = Field(
        default=0, description="syndicated copies collapsed into others (at ingest or here)"
    )
    outlets: list[str] = Field(default_factory=list, description="distinct sources")
    first_seen: datetime
    last_seen: datetime
    score: float = 0.0
    mode: Literal["extractive", "llm"] = Field(
        default="extractive", description="who wrote this story's sentences"
    )
    disagreements: list[Disagreement] = Field(
        default_factory=list, description="where the story's sources contradict each other"
    )


class Briefing(BaseModel):
    """A briefing for a window; `stories` are the top N, `more_stories` the rest."""

    since: datetime
    until: datetime
    generated_at: datetime
    topics: list[str] = Field(default_factory=list)
    mode: Literal["extractive", "llm"] = "extractive"
    stories: list[Story] = Field(default_factory=list)
    sources: list[SourceRef] = Field(default_factory=list)
    total_articles: int = 0
    total_sources: int = 0
    total_stories: int = 0
    more_stories: int = 0
    note: str | None = None

    @property
    def empty(self) -> bool:
        return not self.stories


class SendOutcome(StrEnum):
    """What the transport reports back for one briefing."""

    SENT = "sent"
    BLOCKED = "blocked"  # Telegram 403: bot blocked, kicked, chat gone
    RETRY = "retry"  # nothing was delivered (e.g. network down before the first message)
