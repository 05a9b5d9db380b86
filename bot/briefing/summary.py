"""Extractive story summaries: the most central, non-redundant sentences, each cited.

Centrality is the cosine between a sentence and the story's centroid in the window's TF-IDF
space. Sentences are picked by maximal marginal relevance: centrality minus the cosine to the
closest sentence already chosen, and none that restates one (TF-IDF cosine ≥ RESTATES, or most of
its words already said). A sentence found verbatim in several articles (syndicated copies)
cites up to three of them. An LLM summariser plugs in through `StorySummariser` (see builder.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from bot.briefing.disagreements import Conflict
from bot.briefing.terms import terms
from bot.briefing.vectors import TfIdf
from bot.store.records import WindowArticle
from bot.text.normalize import normalized_text
from bot.text.sentences import sentence_spans

MIN_CHARS = 30
MAX_CHARS = 400
REDUNDANT = 0.5
RESTATES = 0.4
MMR_LAMBDA = 0.7
NOVEL_SHARE = 0.4
NOVEL_MIN = 3
KEEP_RATIO = 0.5
MAX_CITATIONS = 3
_BOILERPLATE = re.compile(
    r"read more|click here|sign up|subscribe|newsletter|follow us|all rights reserved|©"
    r"|continue reading|appeared first on|the post .* appeared",
    re.IGNORECASE,
)


@dataclass
class SummarySentence:
    """A summary sentence and the articles (by id) it is taken from or supported by."""

    text: str
    article_ids: list[int]


@dataclass
class StoryDraft:
    """Everything a summariser needs about one story, before citation numbering."""

    headline: str
    articles: list[WindowArticle]
    representatives: list[WindowArticle]
    extractive: list[SummarySentence] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


class StorySummariser(Protocol):
    """One call per story; return None to fall back to the extractive sentences."""

    async def __call__(self, draft: StoryDraft) -> list[SummarySentence] | None: ...


@dataclass
class _Candidate:
    text: str
    key: str
    article_ids: list[int]
    stems: set[str]
    score: float
    vector: dict[int, float]  # sparse, L2-normalised TF-IDF
    headline_like: bool = False


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _candidates(
    articles: list[WindowArticle], tfidf: TfIdf, centroid: np.ndarray
) -> list[_Candidate]:
    by_key: dict[str, _Candidate] = {}
    for article in articles:
        for s, e in sentence_spans(article.text):
            text = article.text[s:e]
            key = normalized_text(text)
            found = by_key.get(key)
            if found is not None:
                if article.id not in found.article_ids:
                    found.article_ids.append(article.id)
                continue
            stems = terms(text)
            cols, norm = tfidf.weights(stems)
            vector = {col: w / norm for col, w in cols.items()} if norm > 0 else {}
            score = float(sum(centroid[col] * w for col, w in vector.items()))
            by_key[key] = _Candidate(text, key, [article.id], set(stems), score, vector)
    return list(by_key.values())


def _acceptable(c: _Candidate) -> bool:
    """Not too short or long, not feed boilerplate, not a teaser cut off mid-sentence."""
    text = c.text.rstrip("\"'”’)] ")
    truncated = text.endswith(("...", "…", "[…]", "[...]"))
    ended = text.endswith((".", "!", "?"))
    return (
        MIN_CHARS <= len(c.text) <= MAX_CHARS
        and ended
        and not truncated
        and not _BOILERPLATE.search(text)
    )


def _adds_news(c: _Candidate, covered: set[str]) -> bool:
    """A further sentence must say something the headline and earlier ones did not."""
    new = c.stems - covered
    return len(new) >= NOVEL_MIN and len(new) >= NOVEL_SHARE * len(c.stems)


def extractive_summary(
    articles: list[WindowArticle],
    headline: str,
    tfidf: TfIdf,
    centroid: np.ndarray,
    limit: int,
    outlet_of: dict[int, str],
) -> list[SummarySentence]:
    """Greedy pick by centrality; near-repeats of the headline only when nothing else is left."""
    pool = _candidates(articles, tfidf, centroid)
    pool.sort(key=lambda c: (-c.score, c.article_ids[0], c.key))
    usable = [c for c in pool if _acceptable(c)] or pool[:1]
    head = set(terms(headline))
    for c in usable:
        c.headline_like = _jaccard(c.stems, head) >= 0.8
    chosen: list[_Candidate] = []
    while usable and len(chosen) < limit:
        c = max(usable, key=lambda c: _marginal(c, chosen))
        usable.remove(c)
        if chosen and c.score < KEEP_RATIO * chosen[0].score:
            continue
        if any(_jaccard(c.stems, x.stems) >= REDUNDANT for x in chosen):
            continue
        if any(_cosine(c.vector, x.vector) >= RESTATES for x in chosen):
            continue
        if chosen and not _adds_news(c, head.union(*(x.stems for x in chosen))):
            continue
        chosen.append(c)
    return [SummarySentence(c.text, _cited(c.article_ids, outlet_of)) for c in chosen]


def _cosine(a: dict[int, float], b: dict[int, float]) -> float:
    if len(b) < len(a):
        a, b = b, a
    return sum(w * b.get(col, 0.0) for col, w in a.items())


def _marginal(c: _Candidate, chosen: list[_Candidate]) -> float:
    """MMR value; a near-repeat of the headline only when nothing else is left."""
    if not chosen:
        return c.score - (1.0 if c.headline_like else 0.0)
    closest = max(_cosine(c.vector, x.vector) for x in chosen)
    return MMR_LAMBDA * c.score - (1 - MMR_LAMBDA) * closest - (1.0 if c.headline_like else 0.0)


def _cited(ids: list[int], outlet_of: dict[int, str]) -> list[int]:
    """The first article, then copies from other outlets, at most MAX_CITATIONS."""
    picked: list[int] = []
    outlets: set[str] = set()
    for article_id in ids:
        outlet = outlet_of.get(article_id, "")
        if picked and outlet in outlets:
            continue
        picked.append(article_id)
        outlets.add(outlet)
        if len(picked) >= MAX_CITATIONS:
            break
    return picked
