"""Answers as Telegram HTML: escaped text, citation links and a compact sources list.

Escaping, the plain-text fallback and splitting into messages live in `bot.text.markup`,
shared with briefings.
"""

from __future__ import annotations

import re

from bot.models import Answer, SourceRef
from bot.text.markup import (
    MESSAGE_LIMIT,
    compact_names,
    escape,
    html_to_plain,
    link,
    split_html,
    utf16_units,
)

__all__ = [
    "MESSAGE_LIMIT",
    "escape",
    "html_to_plain",
    "render_answer",
    "render_draft",
    "source_line",
    "split_html",
]

_MARKER = re.compile(r"\[(\d+)\]")


def _cited(text: str, urls: dict[int, str | None]) -> str:
    """Escape `text` and turn its `[n]` markers into links to source n."""
    return _MARKER.sub(lambda m: link(urls.get(int(m.group(1))), m.group(0)), escape(text))


def source_line(ref: SourceRef) -> str:
    """`[n] title · source · date · also: Reuters, AP +3`, the title linking to the article
    when it has a URL; "also" names other outlets that carried the same article."""
    parts = [link(ref.url, escape(ref.title))]
    if ref.source:
        parts.append(escape(ref.source))
    if ref.published_at:
        parts.append(ref.published_at.date().isoformat())
    if ref.also_reported_by:
        parts.append("also: " + escape(compact_names(ref.also_reported_by)))
    return f"[{ref.n}] " + " · ".join(parts)


def render_answer(answer: Answer) -> str:
    """The whole answer as one HTML document (split it with `split_html`); an answer line
    ("Bad Bunny [1]") in bold on its own line."""
    urls = {ref.n: ref.url for ref in answer.sources}
    body = _cited(answer.answer, urls)
    line = answer.sentences[0] if answer.sentences else None
    if line is not None and line.answer_line and answer.answer.startswith(line.text):
        body = f"<b>{escape(line.text)}</b>{_cited(answer.answer[len(line.text) :], urls)}"
    blocks = [body]
    if answer.note:
        blocks.append(f"<i>{escape(answer.note)}</i>")
    if answer.sources and not answer.abstained:
        lines = "\n".join(source_line(ref) for ref in answer.sources)
        blocks.append(f"<b>Sources</b>\n{lines}")
    return "\n\n".join(blocks)


def render_draft(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """A streamed draft: escaped and cut to one message (the final text replaces it)."""
    escaped = escape(text.strip())
    if utf16_units(escaped) <= limit:
        return escaped
    return split_html(escaped[: limit + 200], limit - 2)[0] + " …"
