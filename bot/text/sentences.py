"""A small, dependency-free sentence splitter tuned for news prose."""

from __future__ import annotations

import re

_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st mt gen col lt sgt capt cmdr adm gov sen rep rev hon pres
    inc ltd co corp jan feb mar apr jun jul aug sep sept oct nov dec vs etc no al approx est
    u.s u.k u.n e.u a.m p.m i.e e.g
    """.split()
)
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+)")
_PARAGRAPH = re.compile(r"\n\s*\n|\n")


def _is_abbreviation(text: str, dot_at: int) -> bool:
    start = dot_at
    while start > 0 and (text[start - 1].isalpha() or text[start - 1] == "."):
        start -= 1
    token = text[start:dot_at].lower().rstrip(".")
    if not token:
        return False
    if len(token) == 1 and token.isalpha():
        return True  # an initial: "John F. Kennedy"
    return token in _ABBREVIATIONS


def _next_starts_sentence(text: str, pos: int) -> bool:
    rest = text[pos:].lstrip()
    if not rest:
        return True
    first = rest[0]
    return first.isupper() or first.isdigit() or first in "\"'“‘([" or not first.isalpha()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans (start, end) of the sentences in `text`, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    para_start = 0
    paragraphs: list[tuple[int, int]] = []
    for m in _PARAGRAPH.finditer(text):
        paragraphs.append((para_start, m.start()))
        para_start = m.end()
    paragraphs.append((para_start, len(text)))
    for p_start, p_end in paragraphs:
        segment = text[p_start:p_end]
        cursor = 0
        for m in _BOUNDARY.finditer(segment):
            end = m.end()
            single_dot = segment[m.start()] == "." and m.end() - m.start() == 1
            if single_dot and _is_abbreviation(segment, m.start()):
                continue
            if not _next_starts_sentence(segment, end):
                continue
            _append_trimmed(spans, text, p_start + cursor, p_start + end)
            cursor = end
        _append_trimmed(spans, text, p_start + cursor, p_end)
    return spans


def _append_trimmed(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def split_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]
