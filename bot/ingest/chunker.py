"""Split an article into sentence-aligned passages of roughly 150–250 tokens."""

from __future__ import annotations

from bot.models import Chunk
from bot.text.sentences import sentence_spans
from bot.text.tokens import encoding_for

# Texts this short (in characters) are first counted whole: under ~4 characters a token they
# are rarely over the target, and one encode replaces one per sentence.
SHORT_TEXT_CHARS = 1000


def chunk_text(
    text: str, *, target: int = 200, min_tokens: int = 150, max_tokens: int = 250
) -> list[Chunk]:
    """Greedy packing of whole sentences; a sentence longer than `max_tokens` stands alone.

    A passage's `tokens` is an upper bound on its cl100k tokens: the exact count, or for a
    short text that fits the budget by its UTF-8 length alone, that length.

    The last passage is merged into the previous one when it is shorter than `min_tokens`
    and the merge stays within `max_tokens`, so articles do not end in a stub.
    """
    return [
        Chunk(ordinal=ordinal, text=text[start:end], start=start, end=end, tokens=tokens)
        for ordinal, (start, end, tokens) in enumerate(
            passage_spans(text, target=target, min_tokens=min_tokens, max_tokens=max_tokens)
        )
    ]


def passage_spans(
    text: str, *, target: int = 200, min_tokens: int = 150, max_tokens: int = 250
) -> list[tuple[int, int, int]]:
    """`chunk_text`'s passages as (start, end, tokens), without a model object each."""
    if len(text) <= SHORT_TEXT_CHARS:
        # Most feed items are a sentence or two: they are one passage when they fit, which
        # spans the text without its outer whitespace (as its sentences would). A token is
        # at least one UTF-8 byte, so a text within the budget in bytes fits without an
        # encode, and its byte length is the passage's bound.
        body = text.strip()
        if not body:
            return []
        limit = min(target, max_tokens)
        size = len(body) if body.isascii() else len(body.encode("utf-8", "surrogatepass"))
        tokens = size if size <= limit else len(encoding_for().encode_ordinary(body))
        if tokens <= limit:
            start = len(text) - len(text.lstrip())
            return [(start, start + len(body), tokens)]
    enc = encoding_for()
    spans = sentence_spans(text)
    if not spans:
        return []
    # not encode_ordinary_batch: it starts a thread pool per call, ~10x slower per article
    counts = [len(enc.encode_ordinary(text[s:e])) for s, e in spans]
    groups: list[list[int]] = [[]]
    size = 0
    for i, n in enumerate(counts):
        if groups[-1] and (size + n > max_tokens or size >= target):
            groups.append([])
            size = 0
        groups[-1].append(i)
        size += n
    if len(groups) > 1:
        last = sum(counts[i] for i in groups[-1])
        prev = sum(counts[i] for i in groups[-2])
        if last < min_tokens and last + prev <= max_tokens:
            groups[-2].extend(groups.pop())
    return [
        (spans[group[0]][0], spans[group[-1]][1], sum(counts[i] for i in group)) for group in groups
    ]
