"""Topic filters: a story matches a keyword when enough of its articles mention it.

An article mentions a keyword when every word of it occurs in the title or text (stemmed).
A story needs at least a third of its articles to mention one of the keywords: a story of
thirteen reports about a hostage video is not about Hezbollah because one of them names it.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.briefing.terms import terms


def keyword_stems(keywords: Iterable[str]) -> list[frozenset[str]]:
    """One stem set per keyword; "Gaza Strip" needs both words, "Houthi" matches "Houthis"."""
    found = [frozenset(terms(k)) for k in keywords]
    return [f for f in found if f]


MIN_SHARE = 1 / 3


def mentions(article_stems: set[str], wanted: list[frozenset[str]]) -> bool:
    return any(k <= article_stems for k in wanted)


def matches(articles_stems: list[set[str]], wanted: list[frozenset[str]]) -> bool:
    """True without keywords; else when >= MIN_SHARE of the articles mention one."""
    if not wanted:
        return True
    hits = sum(1 for stems in articles_stems if mentions(stems, wanted))
    return hits > 0 and hits >= MIN_SHARE * len(articles_stems)


def split_keywords(text: str) -> list[str]:
    """'Iraq, Syria, Houthi' or 'Iraq Syria Houthi' → ['Iraq', 'Syria', 'Houthi']."""
    parts = text.split(",") if "," in text else text.split()
    seen: dict[str, str] = {}
    for part in parts:
        word = " ".join(part.split())
        if word:
            seen.setdefault(word.casefold(), word)
    return list(seen.values())
