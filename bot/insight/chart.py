"""Trend charts as PNG bytes, drawn with matplotlib's Agg backend (no display needed).

Imported only when a chart is drawn: matplotlib takes a quarter of a second to load, which a
cold `briefbot ask` must not pay. One topic: stacked bars of its top outlets per day (the rest
as "other"); several topics: one line each on shared axes.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure

from bot.insight.models import Trend

WIDTH, HEIGHT, DPI = 8.0, 4.5, 120


def _plain(text: str) -> str:
    """Topic and outlet names are data: a `$` must not start matplotlib's math mode."""
    return text.replace("$", r"\$")


def render_png(trend: Trend) -> bytes:
    """The chart of `trend` as a PNG image."""
    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    topics = trend.topics
    days = date2num([d.day for d in topics[0].days]) if topics else []
    if len(topics) == 1:
        t = topics[0]
        bottom = [0] * len(days)
        for series in t.outlets:
            ax.bar(days, series.per_day, bottom=bottom, label=_plain(series.outlet), width=0.8)
            bottom = [b + v for b, v in zip(bottom, series.per_day, strict=True)]
        rest = [d.articles - b for d, b in zip(t.days, bottom, strict=True)]
        if any(rest):
            ax.bar(days, rest, bottom=bottom, label="other outlets", color="#b0b0b0", width=0.8)
        ax.set_title(f"Articles per day about “{_plain(t.topic)}”")
    else:
        for t in topics:
            ax.plot(
                days, [d.articles for d in t.days], marker="o", markersize=3, label=_plain(t.topic)
            )
        ax.set_title("Articles per day")
    ax.set_ylabel("articles")
    ax.xaxis_date()
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.grid(axis="y", alpha=0.3)
    if topics:
        ax.legend(fontsize="small", loc="upper left")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
