"""Telegram-flavoured HTML shared by answers and briefings: escaping, a plain-text fallback,
and the one splitter that cuts a document into messages under Telegram's limit with every
tag closed (and reopened in the next part). Nothing here imports telegram.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.text.normalize import http_url

MESSAGE_LIMIT = 4096
_MARKER = re.compile(r"\[(\d+)\]")
_TOKEN = re.compile(r"<[^>]*>|&#?\w{1,10};|[\s\S]")
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][\w-]*)")
_LINK = re.compile(r"<a\s[^>]*href=\"([^\"]*)\"[^>]*>(.*?)</a>", re.S)
_SENTENCE_END = ".!?…\"”')]"


def escape(text: str) -> str:
    """Escape untrusted text for HTML bodies and attribute values alike."""
    return html.escape(text, quote=True)


def compact_names(names: list[str], shown: int = 2) -> str:
    """`Reuters, AP +3`: the first `shown` names and how many more (plain text; escape it)."""
    head = ", ".join(names[:shown])
    rest = len(names) - shown
    return f"{head} +{rest}" if rest > 0 else head


def link(url: str | None, label_html: str) -> str:
    """`label_html` linked to `url` when it is an http(s) URL (Telegram rejects the rest)."""
    safe = http_url(url)
    if safe is None:
        return label_html
    return f'<a href="{escape(safe)}">{label_html}</a>'


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


def utf16_units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP is two)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def clip_units(text: str, limit: int) -> str:
    """The longest prefix of plain `text` that is at most `limit` UTF-16 units long."""
    if len(text) * 2 <= limit:
        return text
    total = 0
    for i, ch in enumerate(text):
        total += 2 if ord(ch) > 0xFFFF else 1
        if total > limit:
            return text[:i]
    return text


def _find_cut(document: str, limit: int) -> _Cut:
    """The best place to cut so the head (plus closing tags) fits in `limit` UTF-16 units."""
    stack: list[tuple[str, str]] = []
    visible = ""
    best: dict[int, _Cut] = {}
    units = 0  # of document[:pos]
    for m in _TOKEN.finditer(document):
        pos = m.start()
        if pos > 0:
            cut = _Cut(pos, _rank(visible[-2:]), tuple(stack))
            if units + len(_closing(cut.open_tags)) > limit:
                break
            best[cut.rank] = cut
        token = m.group(0)
        units += utf16_units(token) if len(token) > 1 else 1 + (ord(token) > 0xFFFF)
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
    """Split on paragraph, line, sentence or word boundaries, closing and reopening tags;
    every part is at most `limit` UTF-16 code units long, as Telegram counts."""
    parts: list[str] = []
    rest = document.strip()
    while utf16_units(rest) > limit:
        cut = _find_cut(rest, limit)
        head = rest[: cut.position].rstrip() + _closing(cut.open_tags)
        reopen = "".join(token for _, token in cut.open_tags)
        rest = reopen + rest[cut.position :].lstrip()
        if head.strip():
            parts.append(head)
    if rest.strip():
        parts.append(rest)
    return parts
