"""Telegram's HTML parse mode, checked the way the Bot API does, for the emulator.

Returns the visible text on success and raises `EntityError` with a Telegram-style message
("Can't find end tag corresponding to start tag "b"", …) otherwise.
"""

from __future__ import annotations

import re

ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*(/?)>"
)
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+))?")
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);")
_PLAIN = re.compile(r"[^<>&]+")


class EntityError(ValueError):
    """The markup would be rejected with "Bad Request: can't parse entities: …"."""


def _unescape_attr(value: str) -> str:
    if value[:1] in "\"'":
        value = value[1:-1]
    return _ENTITY.sub(lambda m: _entity(m.group(1), 0), value)


def _entity(name: str, offset: int) -> str:
    if name.startswith("#x"):
        return chr(int(name[2:], 16))
    if name.startswith("#"):
        return chr(int(name[1:]))
    if name in NAMED_ENTITIES:
        return NAMED_ENTITIES[name]
    raise EntityError(f'Unsupported HTML entity "&{name};" at byte offset {offset}')


def _check_attributes(name: str, attrs: str, offset: int) -> None:
    found = {m.group(1).lower(): m.group(2) for m in _ATTR.finditer(attrs)}
    if name == "a":
        href = found.get("href")
        if href is None:
            return
        url = _unescape_attr(href)
        if not re.match(r"^(https?|tg|mailto)://|^tg:|^mailto:", url):
            raise EntityError(f"Wrong HTTP URL at byte offset {offset}")
    elif name == "span" and found.get("class") is not None:
        if _unescape_attr(found["class"] or "") != "tg-spoiler":
            raise EntityError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
    elif name == "span":
        raise EntityError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')


def parse_html(text: str) -> str:
    """Validate Telegram HTML; return the visible text."""
    return parse_html_entities(text)[0]


def _href(attrs: str) -> str | None:
    for key, value in _ATTR.findall(attrs):
        if key.lower() == "href" and value:
            return _unescape_attr(value)
    return None


def parse_html_entities(text: str) -> tuple[str, list[dict[str, object]]]:
    """Validate Telegram HTML; the visible text and its `text_link` entities (offsets and
    lengths in UTF-16 code units, as the Bot API reports them)."""
    stack: list[tuple[str, int]] = []
    links: list[tuple[int, str | None]] = []  # open <a>: visible start, href
    entities: list[dict[str, object]] = []
    out: list[str] = []
    visible = 0  # UTF-16 length of "".join(out)
    offset = 0  # byte offset of text[i] in UTF-8
    i = 0
    while i < len(text):
        ch = text[i]
        if ch not in "<>&":
            run = _PLAIN.match(text, i)
            assert run is not None
            out.append(run.group())
            visible += utf16_length(run.group())
            offset += len(run.group().encode("utf-8", "surrogatepass"))
            i = run.end()
            continue
        if ch == "<":
            m = _TAG.match(text, i)
            if not m:
                raise EntityError(f"Unexpected end of name token at byte offset {offset}")
            closing, name, attrs, _selfclose = m.groups()
            name = name.lower()
            if name not in ALLOWED_TAGS:
                kind = "end" if closing else "start"
                raise EntityError(f'Unsupported {kind} tag "{name}" at byte offset {offset}')
            if closing:
                if not stack or stack[-1][0] != name:
                    raise EntityError(
                        f"Unmatched end tag at byte offset {offset}, expected "
                        f'"</{stack[-1][0] if stack else ""}>", found "</{name}>"'
                    )
                stack.pop()
                if name == "a" and links:
                    start, href = links.pop()
                    length = visible - start
                    if href and length:
                        entities.append(
                            {"type": "text_link", "offset": start, "length": length, "url": href}
                        )
            else:
                _check_attributes(name, attrs, offset)
                if name == "a":
                    links.append((visible, _href(attrs)))
                if name == "pre" and any(t == "pre" for t, _ in stack):
                    raise EntityError(f'Nested "pre" at byte offset {offset}')
                stack.append((name, offset))
        elif ch == ">":
            raise EntityError(f"Unexpected character '>' at byte offset {offset}")
        else:
            m = _ENTITY.match(text, i)
            if not m:
                raise EntityError(f"Unescaped '&' at byte offset {offset}")
            char = _entity(m.group(1), offset)
            out.append(char)
            visible += utf16_length(char)
        offset += len(m.group(0).encode("utf-8", "surrogatepass"))
        i = m.end()
    if stack:
        name, offset = stack[-1]
        raise EntityError(
            f'Can\'t find end tag corresponding to start tag "{name}" at byte offset {offset}'
        )
    return "".join(out), sorted(entities, key=lambda e: int(str(e["offset"])))


def utf16_length(text: str) -> int:
    """Telegram measures message length in UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2
