"""Build a briefing: load the window, group and rank stories, summarise and cite the top N."""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from scipy import sparse

from bot.answer.citations import SourceBook
from bot.briefing.disagreements import Report, conflict_line, find_conflicts
from bot.briefing.grouping import StoryGroup, group_stories
from bot.briefing.models import Briefing, Story
from bot.briefing.summary import StoryDraft, StorySummariser, SummarySentence, extractive_summary
from bot.briefing.terms import article_terms, terms
from bot.briefing.topics import keyword_stems, matches
from bot.briefing.vectors import TfIdf
from bot.briefing.window import Window
from bot.config import Settings
from bot.models import AlternateSource, AnswerSentence, Disagreement
from bot.store.alternates import outlet_name
from bot.store.port import Store
from bot.store.records import WindowArticle
from bot.store.timefmt import minute_text, utcnow

log = logging.getLogger(__name__)

SOURCE_WEIGHT = 1.0
ARTICLE_WEIGHT = 0.5
RECENCY_WEIGHT = 0.5


def clean_headline(title: str, source: str) -> str:
    """Drop a trailing " - Publisher" / " | Publisher" that feeds append to titles."""
    title = " ".join(title.split())
    suffix = re.compile(r"\s+[-|–—]\s+" + re.escape(source) + r"\s*$", re.IGNORECASE)
    return suffix.sub("", title) or title


@dataclass
class _Ranked:
    group: StoryGroup
    articles: list[WindowArticle]
    outlets: list[str]
    score: float
    copies: int = 0  # copies collapsed at ingest (article_alternates) of these articles

    @property
    def count(self) -> int:
        """Articles reporting the story: stored ones plus their collapsed copies."""
        return len(self.articles) + self.copies


class BriefingBuilder:
    """Pure over the database: the same window and topics give the same briefing."""

    def __init__(
        self, store: Store, settings: Settings, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock

    def build(self, window: Window, topics: Sequence[str] = ()) -> Briefing:
        """The extractive briefing (no network)."""
        briefing, _ = self._build(window, topics)
        return briefing

    async def abuild(
        self,
        window: Window,
        topics: Sequence[str] = (),
        summariser: StorySummariser | None = None,
    ) -> Briefing:
        """Like `build`, off the event loop; with a summariser, one call per story (a few
        at a time), each story falling back to its extractive sentences on its own.

        Grouping a busy day takes a second or two of CPU: a worker thread keeps the bot
        responsive meanwhile (the store serialises its own database access).
        """
        briefing, drafts = await asyncio.to_thread(self._build, window, topics)
        if summariser is None or not drafts:
            return briefing
        gate = asyncio.Semaphore(self.settings.briefing.llm_concurrency)

        async def summarise(draft: StoryDraft) -> list[SummarySentence] | None:
            async with gate:
                try:
                    return await summariser(draft)
                except Exception as exc:  # a failed call must not lose the briefing
                    log.warning("briefing summariser failed for %r: %s", draft.headline, exc)
                    return None

        results = await asyncio.gather(*(summarise(d) for d in drafts))
        if not any(results):
            return briefing.model_copy(update={"note": "LLM unavailable; extractive summaries"})
        written = [r or d.extractive for r, d in zip(results, drafts, strict=True)]
        cited = self._cite(briefing, drafts, written)
        stories = [
            story.model_copy(update={"mode": "llm"}) if r else story
            for story, r in zip(cited.stories, results, strict=True)
        ]
        return cited.model_copy(update={"mode": "llm", "stories": stories})

    def _build(self, window: Window, topics: Sequence[str]) -> tuple[Briefing, list[StoryDraft]]:
        s = self.settings
        articles = self.store.articles.window(window.since, window.until, s.briefing.max_articles)
        empty = Briefing(
            since=window.since,
            until=window.until,
            generated_at=self.clock(),
            topics=list(topics),
            note=self._empty_note(window, topics),
        )
        if not articles:
            return empty, []
        # copies collapsed at ingest still count: one more outlet reporting the story
        copies = self.store.alternates.for_articles([a.id for a in articles])
        docs = [article_terms(a.title, a.text) for a in articles]
        tfidf = TfIdf(docs)
        vectors = tfidf.matrix(docs)
        groups = group_stories(
            articles,
            vectors,
            duplicate_similarity=s.briefing.duplicate_similarity,
            story_similarity=s.briefing.story_similarity,
            story_hours=s.briefing.story_hours,
        )
        wanted = keyword_stems(topics)
        ranked = [
            self._rank(g, articles, window, copies)
            for g in groups
            if not wanted or matches(self._stems(g, articles), wanted)
        ]
        if not ranked:
            return empty, []
        ranked.sort(key=lambda r: (-r.score, -r.articles[-1].when.timestamp(), r.articles[0].id))
        top = ranked[: s.briefing.top_stories]
        drafts = [self._draft(r, articles, vectors, tfidf) for r in top]
        all_outlets = {o for r in ranked for o in r.outlets}
        skeleton = empty.model_copy(
            update={
                "note": None,
                "total_articles": sum(r.count for r in ranked),
                "total_sources": len(all_outlets),
                "total_stories": len(ranked),
                "more_stories": len(ranked) - len(top),
                "stories": [self._story(r, d) for r, d in zip(top, drafts, strict=True)],
            }
        )
        return self._cite(skeleton, drafts, [d.extractive for d in drafts]), drafts

    def _empty_note(self, window: Window, topics: Sequence[str]) -> str:
        since = f"{minute_text(window.since)} UTC"
        if self.clock() - window.until < timedelta(minutes=5):
            span = f"since {since}"
        else:
            span = f"from {since} to {minute_text(window.until)} UTC"
        what = f"stories about {', '.join(topics)}" if topics else "articles"
        return f"No new {what} {span}."

    @staticmethod
    def _stems(group: StoryGroup, articles: list[WindowArticle]) -> list[set[str]]:
        return [set(terms(articles[i].title + "\n" + articles[i].text)) for i in group.members]

    def _rank(
        self,
        group: StoryGroup,
        articles: list[WindowArticle],
        window: Window,
        copies: dict[int, list[AlternateSource]],
    ) -> _Ranked:
        members = [articles[i] for i in group.members]
        also = [c for a in members for c in copies.get(a.id, [])]
        names = {a.outlet for a in members} | {outlet_name(c.source, c.url) for c in also}
        outlets = sorted(names, key=str.casefold)
        count = len(members) + len(also)
        span = max((window.until - window.since).total_seconds(), 1.0)
        age = (window.until - members[-1].when).total_seconds()
        recency = min(max(1.0 - age / span, 0.0), 1.0)
        score = (
            SOURCE_WEIGHT * len(outlets)
            + ARTICLE_WEIGHT * math.log2(1 + count)
            + RECENCY_WEIGHT * recency
        )
        return _Ranked(group, members, outlets, round(score, 6), copies=len(also))

    def _draft(
        self, r: _Ranked, articles: list[WindowArticle], vectors: sparse.csr_matrix, tfidf: TfIdf
    ) -> StoryDraft:
        reps = [g.representative for g in r.group.groups]
        centroid = np.asarray(vectors[reps].mean(axis=0), dtype=np.float32).ravel()
        norm = float(np.linalg.norm(centroid))
        if norm > 0:
            centroid = centroid / norm
        closeness = vectors[reps] @ centroid
        central = max(range(len(reps)), key=lambda k: (float(closeness[k]), -reps[k]))
        central = reps[central]
        lead = articles[central]
        headline = clean_headline(lead.title, lead.outlet)
        ordered = [lead] + [a for a in r.articles if a.id != lead.id]
        limit = min(self.settings.briefing.max_sentences, 1 + len(reps))
        sentences = extractive_summary(
            ordered, headline, tfidf, centroid, limit, {a.id: a.outlet for a in r.articles}
        )
        reports = [Report(a.id, a.outlet, a.when, a.title, a.text) for a in r.articles]
        return StoryDraft(
            headline=headline,
            articles=r.articles,
            representatives=[articles[i] for i in reps],
            extractive=sentences,
            conflicts=find_conflicts(reports),
        )

    @staticmethod
    def _story(r: _Ranked, draft: StoryDraft) -> Story:
        return Story(
            headline=draft.headline,
            article_ids=[a.id for a in r.articles],
            articles=r.count,
            duplicates=r.group.duplicates + r.copies,
            outlets=r.outlets,
            first_seen=r.articles[0].when,
            last_seen=r.articles[-1].when,
            score=r.score,
        )

    @staticmethod
    def _cite(
        briefing: Briefing, drafts: list[StoryDraft], written: list[list[SummarySentence]]
    ) -> Briefing:
        """Number the cited articles across the whole briefing, in reading order."""
        book = SourceBook()
        stories: list[Story] = []
        for story, draft, sentences in zip(briefing.stories, drafts, written, strict=True):
            by_id = {a.id: a for a in draft.articles}
            cited: list[AnswerSentence] = []
            for sentence in sentences:
                ids = [i for i in sentence.article_ids if i in by_id]
                if not ids:
                    continue
                numbers = [book.cite(by_id[i].passage(sentence.text)) for i in ids]
                cited.append(AnswerSentence(text=sentence.text, citations=numbers))
            differ = []
            for conflict in draft.conflicts:
                numbers = [book.cite(by_id[s.article_id].passage(s.quote)) for s in conflict.sides]
                differ.append(
                    Disagreement(text=conflict_line(conflict, numbers), citations=numbers)
                )
            stories.append(story.model_copy(update={"sentences": cited, "disagreements": differ}))
        sources = book.sources()
        for i, story in enumerate(stories):
            used = {n for s in story.sentences for n in s.citations}
            used |= {n for d in story.disagreements for n in d.citations}
            stories[i] = story.model_copy(update={"sources": [r for r in sources if r.n in used]})
        return briefing.model_copy(update={"stories": stories, "sources": sources})
