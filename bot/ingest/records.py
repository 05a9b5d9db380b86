"""Validate raw records into `ArticleIn`: field aliases, dates, required text."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from bot.ingest.dates import DateParseError, parse_date
from bot.models import AlternateIn, ArticleIn, Rejection
from bot.store.timefmt import shifted, utcnow
from bot.text.normalize import http_url
from bot.text.plain import cleaned_markup
from bot.text.sentences import split_sentences

ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline", "name"),
    "text": ("text", "body", "content", "description", "summary", "article"),
    "url": ("url", "link", "href"),
    "source": ("source", "publisher", "sitename", "site", "outlet"),
    "published_at": (
        "published_at",
        "date",
        "publish_date",
        "published",
        "pubDate",
        "datetime",
        "time",
    ),
    "language": ("language", "lang"),
    "external_id": ("external_id", "id", "guid", "uuid"),
    "author": ("author", "byline", "creator"),
}

# Time zones and clock skew put honest dates up to a day ahead; more is a wrong clock.
FUTURE_TOLERANCE = timedelta(days=2)


# values that count as missing (one tuple: a literal with [] and {} is built per test)
_MISSING: tuple[object, ...] = (None, "", [], {})


def _pick(fields: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = fields.get(name)
        if value not in _MISSING:
            return value
    return None


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        value = value.get("name") or value.get("title") or value.get("text") or ""
    if isinstance(value, list):
        return "\n\n".join(_as_text(v) for v in value)
    return str(value).strip()


def to_article(
    origin: str,
    fields: dict[str, Any],
    *,
    markup: bool = False,
    now: datetime | None = None,
    max_chars: int | None = None,
) -> tuple[ArticleIn | None, list[Rejection]]:
    """Return the article (or None when rejected) and the notes about this record.

    Notes are warnings when an article is returned and the rejection reason otherwise.
    `markup`: the title and text may hold HTML (JSON exports of feeds); it is reduced to
    plain text so tags and entities are neither stored nor indexed. A date more than
    `FUTURE_TOLERANCE` after `now` and a URL that is not http(s) are dropped with a warning;
    a title and text longer than `max_chars` reject the record.
    """
    notes: list[Rejection] = []
    text = _as_text(_pick(fields, ALIASES["text"]))
    raw_title = _as_text(_pick(fields, ALIASES["title"]))
    if max_chars is not None and len(text) + len(raw_title) > max_chars:
        reason = (
            f"record is larger than {max_chars:,} characters (BRIEFBOT_INGEST_MAX_RECORD_BYTES)"
        )
        return None, [Rejection(origin=origin, reason=reason)]
    exported = isinstance(fields.get("alternates"), list)  # `briefbot export`: stored text
    if markup and not exported:
        text, raw_title = cleaned_markup(text), cleaned_markup(raw_title)
    text = text.strip()
    title = " ".join(raw_title.split())
    if not text:
        return None, [Rejection(origin=origin, reason="empty text")]
    if not title:
        first = split_sentences(text)[0] if text else ""
        title = first[:120].rstrip() + ("…" if len(first) > 120 else "")
        notes.append(Rejection(origin=origin, reason="no title; used the first sentence"))
    published = None
    raw_date = _pick(fields, ALIASES["published_at"])
    try:
        published = parse_date(raw_date)
    except DateParseError as exc:
        notes.append(Rejection(origin=origin, reason=f"{exc}; stored without a date"))
    # a feed with a wrong clock must not become the corpus' "today"
    if published is not None and published > shifted(now or utcnow(), FUTURE_TOLERANCE):
        notes.append(
            Rejection(
                origin=origin,
                reason=f"date {published.isoformat()} is in the future; stored without a date",
            )
        )
        published = None
    external_id = _pick(fields, ALIASES["external_id"])
    raw_url = _as_text(_pick(fields, ALIASES["url"])) or None
    url = http_url(raw_url)
    if raw_url and url is None:
        notes.append(
            Rejection(origin=origin, reason=f"not an http(s) URL {raw_url[:60]!r}; dropped it")
        )
    try:
        article = ArticleIn(
            title=title,
            text=text,
            url=url,
            source=_as_text(_pick(fields, ALIASES["source"])) or None,
            published_at=published,
            language=_as_text(_pick(fields, ALIASES["language"])) or None,
            external_id=str(external_id) if external_id is not None else None,
            origin=origin,
            author=_as_text(_pick(fields, ALIASES["author"])) or None,
            ingested_at=parse_date(fields.get("ingested_at")) if exported else None,
            alternates=[AlternateIn.model_validate(a) for a in fields["alternates"]]
            if exported
            else None,
        )
    except DateParseError as exc:
        return None, [Rejection(origin=origin, reason=f"invalid ingested_at: {exc}")]
    except ValidationError as exc:  # e.g. lone surrogates from "\ud800" escapes in JSON
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error.get("loc", ()))
        return None, [Rejection(origin=origin, reason=f"invalid {where}: {error.get('msg')}")]
    return article, notes
