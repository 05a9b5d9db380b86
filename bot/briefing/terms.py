"""The terms briefings compare articles by: stems of content words, title weighted."""

from __future__ import annotations

from bot.text.words import STOPWORDS, stem, words

LEAD_CHARS = 400


def terms(text: str) -> list[str]:
    """Stems of the content words of `text` (stopwords and 1-letter tokens dropped)."""
    return [stem(w) for w in words(text) if len(w) > 1 and w not in STOPWORDS]


def lead(text: str, limit: int = LEAD_CHARS) -> str:
    """The opening of an article: what syndicated copies and same-event reports share."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > 0 else limit]


def article_terms(title: str, text: str) -> list[str]:
    """Title counted twice (it names the event), then the lead."""
    head = terms(title)
    return head + head + terms(lead(text))
