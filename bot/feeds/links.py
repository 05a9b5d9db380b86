"""Find article links in chat text (a forwarded message offering "add this?")."""

from __future__ import annotations

import re

_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}»…"


def find_urls(text: str, limit: int = 5) -> list[str]:
    """Distinct http(s) URLs in order of appearance, trailing punctuation trimmed."""
    found: list[str] = []
    for match in _URL.finditer(text or ""):
        url = match.group(0).rstrip(_TRAILING)
        if url not in found:
            found.append(url)
        if len(found) >= limit:
            break
    return found
