"""HTML fragments from feeds (summaries, content:encoded) → plain paragraphs."""

from __future__ import annotations

from bot.text.plain import plain_text


def html_to_text(fragment: str) -> str:
    """Paragraphs separated by blank lines; one paragraph per HTML block."""
    if "<" not in fragment and "&" not in fragment:
        return " ".join(fragment.split())
    return "\n\n".join(plain_text(fragment, html_input=True).split("\n"))
