"""Briefings as plain text (CLI) and Telegram-HTML messages, split under the size limit.

Every piece of article text is escaped; links are only http(s). Splitting is the one shared
splitter of `bot.text.markup` (answers use it too); nothing here imports telegram.
"""

from __future__ import annotations

import re

from bot.answer.citations import source_text
from bot.briefing.models import Briefing, Story
from bot.store.timefmt import minute_text
from bot.text.markup import MESSAGE_LIMIT, escape, link, split_html

_MARKER = re.compile(r"\[(\d+)\]")


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def totals_line(b: Briefing) -> str:
    line = f"{_plural(b.total_articles, 'article')} from {_plural(b.total_sources, 'source')}"
    if b.more_stories:
        line += f" · +{b.more_stories:,} smaller " + ("story" if b.more_stories == 1 else "stories")
    return line


def title_line(b: Briefing) -> str:
    span = f"{minute_text(b.since)} – {minute_text(b.until)} UTC"
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
        for d in story.disagreements:
            lines.append("   " + d.text)
        lines.append(f"   ({_story_meta(story)})")
        lines.append("")
    lines.append(totals_line(b))
    if b.note:
        lines.append(b.note)
    lines.append("")
    lines.append("Sources:")
    for ref in b.sources:
        lines.append(source_text(ref))
    return "\n".join(lines)


def _story_html(i: int, story: Story) -> str:
    """A story as one paragraph: headline, cited sentences, outlets (lines, no blank line)."""
    lines = [f"<b>{i}. {escape(story.headline)}</b>"]
    urls = {r.n: r.url for r in story.sources}
    for s in story.sentences:
        markers = "".join(link(urls.get(n), f"[{n}]") for n in s.citations)
        lines.append(f"{escape(s.text)} {markers}")
    for d in story.disagreements:
        lines.append(
            "⚖️ "
            + _MARKER.sub(lambda m: link(urls.get(int(m.group(1))), m.group(0)), escape(d.text))
        )
    lines.append(f"<i>{escape(_story_meta(story))}</i>")
    return "\n".join(lines)


def render_html(b: Briefing, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Telegram-HTML messages of at most `limit` characters.

    Stories are paragraphs, so the shared splitter cuts between stories and only cuts
    inside one (closing and reopening its tags) when a story alone is too long.
    """
    header = f"<b>{escape(title_line(b))}</b>"
    if b.empty:
        return split_html(f"{header}\n\n{escape(b.note or 'Nothing new.')}", limit)
    paragraphs = [header, *(_story_html(i, s) for i, s in enumerate(b.stories, 1))]
    footer = escape(totals_line(b)) + (f"\n<i>{escape(b.note)}</i>" if b.note else "")
    return split_html("\n\n".join([*paragraphs, footer]), limit)
