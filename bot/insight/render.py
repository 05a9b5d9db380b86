"""Timelines as plain text (CLI) and Telegram HTML; every piece of article text is escaped."""

from __future__ import annotations

from bot.answer.citations import source_text
from bot.insight.models import Timeline, TimelineEvent
from bot.store.timefmt import minute_text
from bot.text.markup import escape, link, split_html


def _outlets(event: TimelineEvent) -> str:
    if not event.more_outlets:
        return ""
    return f" (+{event.more_outlets} outlet{'s' if event.more_outlets != 1 else ''})"


def title_line(t: Timeline) -> str:
    return f"Timeline: {t.topic} · {t.since.date().isoformat()} – {t.until.date().isoformat()}"


def _count_line(t: Timeline) -> str:
    return f"{t.articles:,} article{'s' if t.articles != 1 else ''} about the topic"


def render_text(t: Timeline) -> str:
    lines = [title_line(t), ""]
    if not t.events:
        lines.append(t.note or "Nothing found.")
        return "\n".join(lines)
    for e in t.events:
        markers = "".join(f"[{n}]" for n in e.citations)
        lines.append(f"{minute_text(e.at)}  {e.text} {markers}{_outlets(e)}")
    lines.append("")
    lines.append(_count_line(t))
    if t.note:
        lines.append(t.note)
    lines += ["", "Sources:", *(source_text(ref) for ref in t.sources)]
    return "\n".join(lines)


def render_html(t: Timeline) -> list[str]:
    """Telegram-HTML messages: one line per development, dates bold, markers linked."""
    header = f"<b>{escape(title_line(t))}</b>"
    if not t.events:
        return split_html(f"{header}\n\n{escape(t.note or 'Nothing found.')}")
    urls = {r.n: r.url for r in t.sources}
    lines = []
    for e in t.events:
        markers = "".join(link(urls.get(n), f"[{n}]") for n in e.citations)
        lines.append(f"<b>{e.at:%b %d}</b> {escape(e.text)} {markers}{escape(_outlets(e))}")
    footer = f"<i>{escape(_count_line(t))}" + (f" · {escape(t.note)}</i>" if t.note else "</i>")
    return split_html("\n\n".join([header, "\n".join(lines), footer]))
