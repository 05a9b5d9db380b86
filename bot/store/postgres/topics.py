"""Topic mentions on PostgreSQL: the word's index terms against the passage tsvector."""

from __future__ import annotations

from bot.store.postgres.search import tsquery
from bot.store.topics import TopicRepository
from bot.text.words import index_stem, words


class PgTopicRepository(TopicRepository):
    _match_from = "chunks c"
    _match_where = "c.fts @@ ?::tsquery"

    @staticmethod
    def _match(word: str) -> str:
        """Every term of the word (FTS5 reads "al-Asad" as the phrase "al asad")."""
        return tsquery([index_stem(w) for w in words(word)] or ["\x01"], all_of=True)
