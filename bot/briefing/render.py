"""Briefings as plain text (CLI) and Telegram-HTML messages, split under the size limit.

Every piece of article text is escaped; links are only http(s). The Telegram layer may use
its own renderer; this one needs nothing from telegram.
"""

from __future__ import annotations

from html import escape

from bot.briefing.models import Briefing, Story
from bot.models import SourceRef

TELEGRAM_LIMIT = 4096


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def totals_line(b: Briefing) -> str:
    line = f"{_plural(b.total_articles, 'article')} from {_plural(b.total_sources, 'source')}"
    if b.more_stories:
        line += f" · +{b.more_stories:,} smaller " + ("story" if b.more_stories == 1 else "stories")
    return line


def title_line(b: Briefing) -> str:
    span = f"{b.since:%Y-%m-%d %H:%M} – {b.until:%Y-%m-%d %H:%M} UTC"
    topics = f" · topics: {', '.join(b.topics)}" if b.topics else ""
    return f"Briefing {span}{topics}"


def _story_meta(story: Story) -> str:
    outlets = ", ".join(story.outlets[:4]) + (" …" if len(story.outlets) > 4 else "")
    return f"{_plural(story.articles, 'article')} · {outlets}"


def render_text(b: Briefing) -> str:
    lines = [title_line(b), ""]
    if b.empty:
        lines.append(b.note or "Nothing new.")
        return "\n".join(lines)
    for i, story in enumerate(b.stories, 1):
        lines.append(f"{i}. {story.headline}")
        for s in story.sentences:
            lines.append("   " + s.text + " " + "".join(f"[{n}]" for n in s.citations))
        lines.append(f"   ({_story_meta(story)})")
        lines.append("")
    lines.append(totals_line(b))
    if b.note:
        lines.append(b.note)
    lines.append("")
    lines.append("Sources:")
    for ref in b.sources:
        lines.append(_source_text(ref))
    return "\n".join(lines)


def _source_text(ref: SourceRef) -> str:
    parts = [ref.title] + ([ref.source] if ref.source else [])
    if ref.published_at:
        parts.append(ref.published_at.date().isoformat())
    line = f"[{ref.n}] " + " · ".join(parts)
    return line + (f"\n    {ref.url}" if ref.url else "")


def _marker_html(ref: SourceRef | None, n: int) -> str:
    url = ref.url if ref else None
    if url and url.lower().startswith(("http://", "https://")):
        return f'<a href="{escape(url, quote=True)}">[{n}]</a>'
    return f"[{n}]"


def _story_html(i: int, story: Story, refs: dict[int, SourceRef]) -> list[str]:
    """A story as a list of lines (the unit of splitting)."""
    lines = [f"<b>{i}. {escape(story.headline)}</b>"]
    for s in story.sentences:
        lines.append(
            escape(s.text) + " " + "".join(_marker_html(refs.get(n), n) for n in s.citations)
        )
    lines.append(f"<i>{escape(_story_meta(story))}</i>")
    return lines


def render_html(b: Briefing, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Messages of at most `limit` characters; a story is split only when it alone is too long."""
    header = f"<b>{escape(title_line(b))}</b>"
    if b.empty:
        return _pack([[header, "", escape(b.note or "Nothing new.")]], limit)
    refs = {r.n: r for r in b.sources}
    blocks = [[header]]
    blocks += [[*_story_html(i, s, refs), ""] for i, s in enumerate(b.stories, 1)]
    footer = [escape(totals_line(b))] + ([f"<i>{escape(b.note)}</i>"] if b.note else [])
    blocks.append(footer)
    return _pack(blocks, limit)


def _pack(blocks: list[list[str]], limit: int) -> list[str]:
    messages: list[str] = []
    current = ""
    for block in blocks:
        text = "\n".join(block)
        if current and len(current) + 1 + len(text) <= limit:
            current += "\n" + text
            continue
        if current:
            messages.append(current.rstrip())
            current = ""
        if len(text) <= limit:
            current = text
            continue
        for line in block:
            for piece in _hard_split(line, limit):
                if current and len(current) + 1 + len(piece) <= limit:
                    current += "\n" + piece
                else:
                    if current:
                        messages.append(current.rstrip())
                    current = piece
    if current.strip():
        messages.append(current.rstrip())
    return messages


def _hard_split(line: str, limit: int) -> list[str]:
    """A single over-long line: cut at spaces outside tags (never inside an entity or tag)."""
    if len(line) <= limit:
        return [line]
    pieces: list[str] = []
    while len(line) > limit:
        cut = _safe_cut(line, limit)
        pieces.append(line[:cut].rstrip())
        line = line[cut:].lstrip()
    if line:
        pieces.append(line)
    return pieces


def _safe_cut(line: str, limit: int) -> int:
    depth_ok = [True] * (limit + 1)
    in_tag = in_entity = False
    open_tags = 0
    for i, ch in enumerate(line[:limit]):
        if ch == "<":
            in_tag = True
            open_tags += -1 if line[i + 1 : i + 2] == "/" else 1
        elif ch == ">":
            in_tag = False
        elif ch == "&":
            in_entity = True
        elif ch == ";":
            in_entity = False
        depth_ok[i + 1] = not in_tag and not in_entity and open_tags == 0
    for i in range(limit, 0, -1):
        if depth_ok[i] and line[i - 1 : i] == " ":
            return i
    for i in range(limit, 0, -1):
        if depth_ok[i]:
            return i
    return limit
