"""Answers as Telegram HTML: escaped text, citation links, a compact sources list, and
splitting into messages that each stay under Telegram's limit with every tag closed.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.models import Answer, SourceRef

MESSAGE_LIMIT = 4096
_MARKER = re.compile(r"\[(\d+)\]")
_TOKEN = re.compile(r"<[^>]*>|&#?\w{1,10};|[\s\S]")
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][\w-]*)")
_LINK = re.compile(r"<a\s[^>]*href=\"([^\"]*)\"[^>]*>(.*?)</a>", re.S)
_SENTENCE_END = ".!?…\"”')]"


def escape(text: str) -> str:
    """Escape untrusted text for HTML bodies and attribute values alike."""
    return html.escape(text, quote=True)


def _link(url: str | None, label_html: str) -> str:
    if not url:
        return label_html
    return f'<a href="{escape(url)}">{label_html}</a>'


def _cited(text: str, urls: dict[int, str | None]) -> str:
    """Escape `text` and turn its `[n]` markers into links to source n."""
    return _MARKER.sub(lambda m: _link(urls.get(int(m.group(1))), m.group(0)), escape(text))


def source_line(ref: SourceRef) -> str:
    """`[n] title · source · date`, the title linking to the article when it has a URL."""
    parts = [_link(ref.url, escape(ref.title))]
    if ref.source:
        parts.append(escape(ref.source))
    if ref.published_at:
        parts.append(ref.published_at.date().isoformat())
    return f"[{ref.n}] " + " · ".join(parts)


def render_answer(answer: Answer) -> str:
    """The whole answer as one HTML document (split it with `split_html`)."""
    urls = {ref.n: ref.url for ref in answer.sources}
    body = _cited(answer.answer, urls)
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
    if len(escaped) <= limit:
        return escaped
    return split_html(escaped[: limit + 200], limit - 2)[0] + " …"


def html_to_plain(document: str) -> str:
    """Plain text for when Telegram rejects our markup; links keep their URLs visibly."""

    def _plain_link(m: re.Match[str]) -> str:
        label = re.sub(r"<[^>]*>", "", m.group(2))
        url = m.group(1)
        if _MARKER.fullmatch(html.unescape(label)):
            return label
        return f"{label} ({url})"

    return html.unescape(re.sub(r"<[^>]*>", "", _LINK.sub(_plain_link, document)))


@dataclass
class _Cut:
    position: int
    rank: int
    open_tags: tuple[tuple[str, str], ...]


def _rank(before: str) -> int:
    """How good a boundary is after the visible text `before` (0 best … 4 anywhere)."""
    if before.endswith("\n\n"):
        return 0
    if before.endswith("\n"):
        return 1
    if before.endswith((" ", "\t")) and len(before) > 1 and before[-2] in _SENTENCE_END:
        return 2
    if before[-1:].isspace():
        return 3
    return 4


def _closing(open_tags: tuple[tuple[str, str], ...]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(open_tags))


def _find_cut(document: str, limit: int) -> _Cut:
    """The best place to cut so the head (plus closing tags) fits in `limit`."""
    stack: list[tuple[str, str]] = []
    visible = ""
    best: dict[int, _Cut] = {}
    for m in _TOKEN.finditer(document):
        pos = m.start()
        if pos > 0:
            cut = _Cut(pos, _rank(visible[-2:]), tuple(stack))
            if pos + len(_closing(cut.open_tags)) > limit:
                break
            best[cut.rank] = cut
        token = m.group(0)
        tag = _TAG.match(token) if token.startswith("<") else None
        if tag:
            closing, name = tag.group(1), tag.group(2).lower()
            if closing:
                for i in range(len(stack) - 1, -1, -1):
                    if stack[i][0] == name:
                        del stack[i:]
                        break
            else:
                stack.append((name, token))
        else:
            visible = (visible + html.unescape(token))[-2:]
    for rank in range(4):
        good = best.get(rank)
        if good and good.position >= limit // 2:
            return good
    for rank in range(5):
        if rank in best:
            return best[rank]
    raise ValueError("cannot split: limit too small for the markup")


def split_html(document: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split on paragraph, line, sentence or word boundaries, closing and reopening tags."""
    parts: list[str] = []
    rest = document.strip()
    while len(rest) > limit:
        cut = _find_cut(rest, limit)
        head = rest[: cut.position].rstrip() + _closing(cut.open_tags)
        reopen = "".join(token for _, token in cut.open_tags)
        rest = reopen + rest[cut.position :].lstrip()
        if head.strip():
            parts.append(head)
    if rest.strip():
        parts.append(rest)
    return parts
