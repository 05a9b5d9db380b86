"""Pydantic models of timelines and trends: the `timeline --json` and `trend --json` contracts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from bot.models import SourceRef


class TimelineEvent(BaseModel):
    """One development: its first report, cited, and how many other outlets carried it."""

    date: date
    at: datetime = Field(description="time of the first report")
    text: str
    citations: list[int]
    more_outlets: int = Field(default=0, description="other outlets reporting the same fact")


class Timeline(BaseModel):
    topic: str
    since: datetime
    until: datetime
    mode: Literal["extractive", "llm"] = "extractive"
    events: list[TimelineEvent] = Field(default_factory=list, description="oldest first")
    sources: list[SourceRef] = Field(default_factory=list)
    articles: int = Field(default=0, description="articles about the topic in the window")
    note: str | None = None
    fallback_reason: str | None = None


class DayCount(BaseModel):
    day: date
    articles: int


class OutletSeries(BaseModel):
    outlet: str
    articles: int
    per_day: list[int] = Field(description="aligned with the trend's days")


class TopicTrend(BaseModel):
    topic: str
    total: int = 0
    days: list[DayCount] = Field(default_factory=list, description="every day of the window")
    outlets: list[OutletSeries] = Field(
        default_factory=list, description="the top outlets, largest first"
    )
    outlet_count: int = Field(default=0, description="distinct outlets overall")

    @property
    def peak(self) -> DayCount | None:
        return max(self.days, key=lambda d: (d.articles, -d.day.toordinal()), default=None)


class Trend(BaseModel):
    since: datetime
    until: datetime
    topics: list[TopicTrend] = Field(default_factory=list)
    caption: str = ""
