"""Topic filters: a story matches when every word of any one keyword occurs in it (stemmed)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.briefing.terms import terms


def keyword_stems(keywords: Iterable[str]) -> list[frozenset[str]]:
    """One stem set per keyword; "Gaza Strip" needs both words, "Houthi" matches "Houthis"."""
    found = [frozenset(terms(k)) for k in keywords]
    return [f for f in found if f]


def matches(story_stems: set[str], wanted: list[frozenset[str]]) -> bool:
    return not wanted or any(k <= story_stems for k in wanted)


def split_keywords(text: str) -> list[str]:
    """'Iraq, Syria, Houthi' or 'Iraq Syria Houthi' → ['Iraq', 'Syria', 'Houthi']."""
    parts = text.split(",") if "," in text else text.split()
    seen: dict[str, str] = {}
    for part in parts:
        word = " ".join(part.split())
        if word:
            seen.setdefault(word.casefold(), word)
    return list(seen.values())
