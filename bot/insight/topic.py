"""What a topic is: its words, the articles that mention them, and the default window.

An article is about a topic when it mentions every word of it; a topic of three or more
words also takes articles missing one of them ("Gaza hospital explosion" finds "blast at a
Gaza hospital"). Words are content words: "the war in Gaza" is "war" and "Gaza".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.briefing.topics import split_keywords
from bot.errors import BriefbotError
from bot.models import SearchFilters
from bot.store.timefmt import shifted
from bot.store.topics import TopicRepository
from bot.text.words import STOPWORDS, fold, words

DEFAULT_DAYS = 14
# A corpus with nothing newer than this is "old": windows end at its newest article.
STALE_AFTER = timedelta(days=7)


def topic_words(topic: str) -> list[str]:
    """Distinct content words of the topic, in order (all words when every one is a stopword)."""
    found = [w for w in words(topic) if len(w) > 1 or w.isdigit()]
    content = [w for w in found if fold(w) not in STOPWORDS] or found
    if not content:
        raise BriefbotError(f"the topic {topic!r} has no words to look for")
    return list(dict.fromkeys(content))


def trend_topics(text: str) -> list[str]:
    """What /trend and `briefbot trend` read: 'gaza, ukraine' is two topics; without a comma
    the whole text is one topic ('gaza hospital'). Empty when there is nothing."""
    if "," in text:
        return split_keywords(text)
    topic = " ".join(text.split())
    return [topic] if topic else []


def needed(words_in_topic: int, *, lenient: bool) -> int:
    """How many of the topic's words an article must mention."""
    if lenient and words_in_topic >= 3:
        return words_in_topic - 1
    return words_in_topic


def window(
    repo: TopicRepository,
    since: datetime | None,
    until: datetime | None,
    *,
    days: int = DEFAULT_DAYS,
    now: datetime | None = None,
) -> tuple[datetime, datetime]:
    """`until` defaults to now (or the corpus's newest article when nothing is recent), `since`
    to `days` before `until`."""
    if until is None:
        now = now or datetime.now(UTC)
        newest = repo.latest_publication()
        until = newest if newest is not None and newest < now - STALE_AFTER else now
    if since is None:
        since = shifted(until, -timedelta(days=days))
    if since > until:
        raise BriefbotError("the window starts after it ends (--since is after --until)")
    return since, until


def matching_ids(
    repo: TopicRepository, topic: str, since: datetime, until: datetime, *, lenient: bool
) -> list[int]:
    wanted = topic_words(topic)
    need = needed(len(wanted), lenient=lenient)
    found = repo.mentions(wanted, SearchFilters(since=since, until=until))
    return sorted(i for i, hits in found.items() if len(hits) >= need)
