"""HTML fragments (feed descriptions, JSON exports) → plain text: the one cleaner used by
ingest, the feed parser and briefings.

Only real HTML is touched: a tag is `<`, an optional `/`, then a known element name, so
"a < b" or "x<y and y>z" in plain text stays as it is. `has_markup` is the cheap test run
first: text without `<` or `&` costs two substring scans.
"""

from __future__ import annotations

import html
import re

_ELEMENTS = (
    "a|abbr|address|article|aside|audio|b|big|blockquote|body|br|button|caption|center|cite|"
    "code|col|dd|del|details|dfn|div|dl|dt|em|embed|figcaption|figure|font|footer|form|h[1-6]|"
    "head|header|hr|html|i|iframe|img|input|ins|kbd|label|li|link|main|mark|meta|nav|noscript|"
    "ol|p|picture|pre|q|s|section|small|source|span|strike|strong|sub|summary|sup|table|tbody|"
    "td|tfoot|th|thead|time|tr|tt|u|ul|var|video|wbr"
)
_BLOCKS = "p|li|ul|ol|br|div|h[1-6]|tr|blockquote|section|article|figure|figcaption|table|hr"
_DROPPED = re.compile(
    r"<(script|style|noscript|template)\b[^<>]{0,2000}>.*?</\1\s*>|<!--.*?-->", re.I | re.S
)
_BLOCK = re.compile(rf"</?(?:{_BLOCKS})\b(?:\s[^<>]{{0,2000}})?/?>", re.I)
_TAG = re.compile(rf"</?(?:{_ELEMENTS})\b(?:\s[^<>]{{0,2000}})?/?>", re.I)
_ANY_TAG = re.compile(r"</?[a-zA-Z][\w:.-]{0,40}(?:\s[^<>]{0,2000})?/?>")  # known-HTML input
# A tag cut off by truncation (`<p class="buylink__title text-bold` then nothing, or the next
# tag): an element name at the very end, or one with an `attr=` running into `<` or the end.
_DANGLING = re.compile(rf"</?(?:{_ELEMENTS})(?:\s+[\w:-]+\s*=[^<>]*)?\s*(?=<|$)", re.I)
# What a dangling tag needs: a `<` whose next bracket is another `<` or the end; far cheaper
# to look for than `_DANGLING` itself, so most texts skip that pattern.
_UNCLOSED = re.compile(r"<[^<>]*(?:<|$)")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
_PUNCT = ",.;:!?"  # a space before one of these goes
# blanks that change: runs of two or more, and single tabs or no-break spaces
_BLANKS = re.compile(r"[ \t\u00a0]{2,}|[\t\u00a0]")


def has_markup(text: str) -> bool:
    """True when `text` holds an HTML tag, comment or character reference."""
    return _has_tags(text) or _has_entities(text)


def _has_tags(text: str) -> bool:
    return "<" in text and bool(
        _TAG.search(text) or _DROPPED.search(text) or _DANGLING.search(text)
    )


def _has_entities(text: str) -> bool:
    return "&" in text and _ENTITY.search(text) is not None


def cleaned_markup(text: str) -> str:
    """`plain_text(text)` when `has_markup(text)`, else `text`, testing for markup once."""
    if _has_tags(text):
        return _cleaned(text, False, strip_tags=True)
    if _has_entities(text):  # markup, but no tags: read as HTML only if there is a `<`
        return _cleaned(text, False, strip_tags="<" in text)
    return text


def _is_tidy(text: str) -> bool:
    """Whether `plain_text` would return `text` unchanged (what the store holds): no markup
    or entity, no blanks to squeeze, no empty line, no whitespace at a line's ends."""
    if "<" in text or "&" in text or "\t" in text or "\u00a0" in text or "  " in text:
        return False
    return all(line and not (line[0].isspace() or line[-1].isspace()) for line in text.split("\n"))


def plain_text(text: str, *, html_input: bool = False) -> str:
    """Drop tags (block tags become line breaks), decode entities, tidy spaces and lines.

    Text with markup (or any text when `html_input`) is read as HTML: its own line breaks
    are spaces, only block tags break lines. Plain text keeps its lines.
    """
    if not html_input and _is_tidy(text):
        return text
    return _cleaned(text, html_input)


def _cleaned(text: str, html_input: bool, *, strip_tags: bool | None = None) -> str:
    """`strip_tags`: whether the text is read as HTML, when the caller knows (else found)."""
    if strip_tags is None:
        strip_tags = html_input or ("<" in text and has_markup(text))
    if strip_tags:
        text = " ".join(_DROPPED.sub(" ", text).split())
        if _UNCLOSED.search(text):
            text = _DANGLING.sub(" ", text)
        text = _TAG.sub(" ", _BLOCK.sub("\n", text))
        if html_input:
            text = _ANY_TAG.sub(" ", text)
        # Only spaces and line breaks are left between words here (the join above): runs of
        # spaces are squeezed to one (`_BLANKS` squeezes again after unescaping, and the ends
        # of lines are stripped below), then a space before punctuation is dropped, by
        # string methods rather than patterns tried at every space.
        text = " ".join(filter(None, text.split(" ")))
        for mark in _PUNCT:
            if " " + mark in text:
                text = text.replace(" " + mark, mark)
    if "&" in text:
        text = html.unescape(text)
    # blanks never span a line break: one pass over the text, not one per line
    if "  " in text or "\t" in text or "\u00a0" in text:  # what `_BLANKS` can match
        text = _BLANKS.sub(" ", text)
    if "\n" not in text:
        return text.strip()
    lines = (line.strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
