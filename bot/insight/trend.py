"""Trends: how many articles a day mention each topic, and which outlets carried them.

Copies of an article that ingest collapsed into it (other outlets' wire copies) count on
their own day for their own outlet: the chart shows how widely a story ran, not only how
many distinct texts the corpus kept.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from bot.insight.models import DayCount, OutletSeries, TopicTrend, Trend
from bot.models import AlternateSource
from bot.store.alternates import outlet_name
from bot.store.topics import Publication

TOP_OUTLETS = 5
SPARKS = "▁▂▃▄▅▆▇█"


def days_between(since: datetime, until: datetime) -> list[date]:
    first, last = since.date(), until.date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def topic_trend(
    topic: str,
    publications: Sequence[Publication],
    copies: dict[int, list[AlternateSource]],
    since: datetime,
    until: datetime,
    top: int = TOP_OUTLETS,
) -> TopicTrend:
    days = days_between(since, until)
    index = {d: i for i, d in enumerate(days)}
    seen: list[tuple[date, str]] = []
    for p in publications:
        seen.append((p.when.date(), outlet_name(p.source, p.url)))
        for copy in copies.get(p.article_id, []):
            when = copy.published_at or p.when
            if since <= when <= until:
                seen.append((when.date(), outlet_name(copy.source, copy.url)))
    per_day = Counter(d for d, _ in seen if d in index)
    by_outlet: dict[str, list[int]] = defaultdict(lambda: [0] * len(days))
    for d, name in seen:
        if d in index:
            by_outlet[name][index[d]] += 1
    ranked = sorted(by_outlet.items(), key=lambda kv: (-sum(kv[1]), kv[0].casefold()))
    return TopicTrend(
        topic=topic,
        total=sum(per_day.values()),
        days=[DayCount(day=d, articles=per_day.get(d, 0)) for d in days],
        outlets=[
            OutletSeries(outlet=name, articles=sum(counts), per_day=counts)
            for name, counts in ranked[:top]
        ],
        outlet_count=len(by_outlet),
    )


def sparkline(values: Sequence[int]) -> str:
    """One block character per value, scaled to the largest (zero is the lowest block)."""
    peak = max(values, default=0)
    if peak <= 0:
        return SPARKS[0] * len(values)
    return "".join(
        SPARKS[min(len(SPARKS) - 1, round(v / peak * (len(SPARKS) - 1)))] for v in values
    )


def caption(trend: Trend) -> str:
    """One line: each topic's total and peak day, then the top outlets (one topic) or nothing."""
    parts = []
    for t in trend.topics:
        peak = t.peak
        if not t.total or peak is None:
            parts.append(f"{t.topic}: no articles")
            continue
        parts.append(
            f"{t.topic}: {t.total:,} article{'s' if t.total != 1 else ''}, "
            f"peak {peak.day:%b %d} ({peak.articles:,})"
        )
    span = f"{trend.since:%b %d}–{trend.until:%b %d %Y}"
    line = f"{span} · " + " · ".join(parts)
    if len(trend.topics) == 1 and trend.topics[0].outlets:
        t = trend.topics[0]
        names = ", ".join(f"{o.outlet} {o.articles:,}" for o in t.outlets[:3])
        line += f" · {t.outlet_count:,} outlets, top: {names}"
    return line


def text_report(trend: Trend) -> str:
    """The CLI's chart: a sparkline and the daily counts per topic, then the top outlets."""
    lines = [caption(trend), ""]
    width = max((len(t.topic) for t in trend.topics), default=0)
    for t in trend.topics:
        lines.append(f"{t.topic:<{width}}  {sparkline([d.articles for d in t.days])}  {t.total:,}")
    lines.append("")
    header = "day        " + "  ".join(f"{t.topic[:12]:>12}" for t in trend.topics)
    lines.append(header)
    for i, day in enumerate(trend.topics[0].days if trend.topics else []):
        counts = "  ".join(f"{t.days[i].articles:>12,}" for t in trend.topics)
        lines.append(f"{day.day.isoformat()} {counts}")
    for t in trend.topics:
        if t.outlets:
            lines.append("")
            lines.append(f"Top outlets for {t.topic}:")
            lines.extend(f"  {o.outlet}: {o.articles:,}" for o in t.outlets)
    return "\n".join(lines)
