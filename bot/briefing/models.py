"""Pydantic models of briefings and subscriptions: the `brief --json` contract and DB rows."""

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


class SendOutcome(StrEnum):
    """What the transport reports back for one briefing."""

    SENT = "sent"
    BLOCKED = "blocked"  # Telegram 403: bot blocked, kicked, chat gone
    RETRY = "retry"  # nothing was delivered (e.g. network down before the first message)


class SubscribeRequest(BaseModel):
    """Parsed `/subscribe [HH:MM] [timezone] [keywords…]`."""

    time_of_day: str
    timezone: str
    timezone_origin: Literal["given", "chat", "default"]
    keywords: list[str] = Field(default_factory=list)
