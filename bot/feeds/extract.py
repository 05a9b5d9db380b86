"""Article pages → text and metadata with trafilatura (title, date, author, site name)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class ExtractedPage:
    title: str | None
    text: str
    published: str | None
    author: str | None
    site: str | None


def extract_page(html: str | bytes, url: str) -> ExtractedPage | None:
    """The main text of an article page, or None when trafilatura finds no article in it.

    Bytes are passed when the server declared no charset: trafilatura then detects it
    from the markup (meta charset) instead of us guessing UTF-8.

    CPU-bound (~ms per page): callers in the event loop run it in a worker thread.
    """
    import trafilatura  # heavy; only loaded when a page is extracted

    try:
        doc = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, favor_precision=True
        )
    except Exception:  # trafilatura raises many types on hostile markup; none is fatal
        return None
    if doc is None:
        return None
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    text = (data.get("text") or "").strip()
    title = (data.get("title") or "").strip() or None
    if title and text.startswith(title + "\n"):
        text = text[len(title) + 1 :].lstrip()
    if not text:
        return None
    return ExtractedPage(
        title=title,
        text=text,
        published=data.get("date") or None,
        author=data.get("author") or None,
        site=data.get("sitename") or urlsplit(url).hostname or None,
    )
