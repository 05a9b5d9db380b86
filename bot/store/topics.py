"""Which articles of a time window mention a topic's words, for timelines and trend charts.

Words are matched by the postings index (PostgreSQL: its full-text index), stemmed like
every search, one word at a time, so an article mentions a word when any of its passages
(or its title) does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from bot.models import SearchFilters
from bot.store.articles import filter_sql
from bot.store.db import DB, in_batches
from bot.store.records import WINDOW_COLUMNS, WindowArticle, window_article
from bot.store.timefmt import from_db, required_time
from bot.text.words import stem, words

if TYPE_CHECKING:
    from bot.store.postings import PostingsIndex

_IDS_PER_QUERY = 500


@dataclass(frozen=True)
class Publication:
    """When and where an article appeared: what a trend chart counts."""

    article_id: int
    when: datetime
    source: str | None
    url: str | None


class TopicRepository:
    def __init__(self, db: DB, postings: Callable[[], PostingsIndex] | None = None) -> None:
        """`postings`: the store's postings index (SQLite); without it, the database's own
        full-text index answers (PostgreSQL)."""
        self.db = db
        self._postings = postings

    def mentions(self, words: list[str], filters: SearchFilters) -> dict[int, set[str]]:
        """Article id → which of `words` it mentions, for articles in the window mentioning any."""
        if self._postings is not None:
            return self._indexed_mentions(self._postings(), words, filters)
        where, params = filter_sql(filters, like=self.db.like)
        found: dict[int, set[str]] = {}
        for word in dict.fromkeys(words):
            rows = self.db.query(
                f"SELECT DISTINCT c.article_id FROM {self._match_from}"
                " JOIN articles a ON a.id = c.article_id"
                f" WHERE {self._match_where}" + (f" AND {where}" if where else ""),
                (self._match(word), *params),
            )
            for (article_id,) in rows:
                found.setdefault(int(article_id), set()).add(word)
        return found

    def _indexed_mentions(
        self, index: PostingsIndex, wanted: list[str], filters: SearchFilters
    ) -> dict[int, set[str]]:
        """`mentions` through the postings index: the passages holding every term of a word
        ("al-Asad": "al" and "asad"), then their articles within the window."""
        index.sync()
        view = index.view
        where, params = filter_sql(filters, like=self.db.like)
        found: dict[int, set[str]] = {}
        for word in dict.fromkeys(wanted):
            rows: set[int] | None = None
            for term in dict.fromkeys(stem(w) for w in words(word)):
                hits = view.postings(term)
                held = set(hits.rows.tolist()) if hits is not None else set()
                rows = held if rows is None else rows & held
            if not rows:
                continue
            held_rows = np.fromiter(rows, dtype=np.int64, count=len(rows))
            # The SQL applies the window again; this only keeps the id list it is sent short.
            held_rows = held_rows[view.within(held_rows, filters.since, filters.until)]
            if held_rows.size == 0:
                continue
            chunk_ids = view.ids[np.sort(held_rows)].tolist()
            for (article_id,) in self.db.query(
                "SELECT DISTINCT c.article_id FROM chunks c JOIN articles a ON a.id = c.article_id"
                " WHERE c.id IN (SELECT value FROM json_each(?))"
                + (f" AND {where}" if where else ""),
                (json.dumps(chunk_ids), *params),
            ):
                found.setdefault(int(article_id), set()).add(word)
        return found

    # How a word is matched without the postings index (the PostgreSQL subclass says).
    _match_from = ""
    _match_where = ""

    @staticmethod
    def _match(word: str) -> str:
        raise NotImplementedError("a store without its own full-text index needs `postings`")

    def articles(self, ids: list[int]) -> list[WindowArticle]:
        """The articles (plain text), oldest first."""
        found: list[WindowArticle] = []
        for part, marks in in_batches(list(dict.fromkeys(ids)), _IDS_PER_QUERY):
            rows = self.db.query(
                f"SELECT {WINDOW_COLUMNS} FROM articles WHERE id IN ({marks})", tuple(part)
            )
            found += [window_article(r) for r in rows]
        found.sort(key=lambda a: (a.when, a.id))
        return found

    def publications(self, ids: list[int]) -> list[Publication]:
        """Time, source and URL of each article (no text: charts count thousands)."""
        found: list[Publication] = []
        for part, marks in in_batches(list(dict.fromkeys(ids)), _IDS_PER_QUERY):
            rows = self.db.query(
                "SELECT id, coalesce(published_at, ingested_at), source, url FROM articles"
                f" WHERE id IN ({marks})",
                tuple(part),
            )
            found += [Publication(r[0], required_time(from_db(r[1])), r[2], r[3]) for r in rows]
        return found

    def latest_publication(self) -> datetime | None:
        """The newest publication time in the corpus (what "recent" means for an old corpus)."""
        return from_db(self.db.query("SELECT max(published_at) FROM articles")[0][0])
