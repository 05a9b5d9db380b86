"""Extractive answers: the best 1–4 source sentences, each cited, or an abstention.

Sentences are scored by how much of the question's (IDF-weighted) terms they cover. When the
best sentence leaves part of the question uncovered, the sentence after it is added as its
continuation: news prose often names the subject in one sentence and gives the answer in the
next ("…attacks on the Ain al-Asad airbase… Reports suggest a barrage of drones and
missiles…").

Coverage alone answers "What was the result of the 2024 election?" from a 2023 preview of
it; `bot.answer.support` first drops the passages that cannot hold the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.answer.citations import SourceBook, abstention_text, answer_text
from bot.answer.injection import addresses_assistant
from bot.answer.support import answers_type, supporting
from bot.models import Answer, AnswerSentence, Passage
from bot.retrieval.bm25 import SearchResult
from bot.retrieval.query import QueryTerms
from bot.text.sentences import sentence_spans
from bot.text.words import content_stems

SAME_ARTICLE_PENALTY = 0.1
NEAR_DUPLICATE = 0.6
KEEP_RATIO = 0.45
PASSAGES_CONSIDERED = 5
MAX_SENTENCE_CHARS = 600
# Feed descriptions can carry raw HTML: a sentence's tags and link targets are not its words.
_MARKUP = re.compile(r"<[^>]*>|https?://\S+")


@dataclass
class Candidate:
    text: str
    passage: Passage
    position: int
    stems: set[str]
    coverage: float
    score: float
    follower: Candidate | None = None


def _candidates(
    query: QueryTerms, passages: list[Passage], lead_coverage: float
) -> list[Candidate]:
    """Sentences of the top passages, and of any lower passage that could lead the answer."""
    found: list[Candidate] = []
    for rank, passage in enumerate(passages):
        if rank >= PASSAGES_CONSIDERED and passage.coverage < lead_coverage:
            continue
        previous: Candidate | None = None
        for s, e in sentence_spans(passage.text):
            text = passage.text[s:e]
            stems = set(content_stems(_MARKUP.sub(" ", text)))
            coverage = query.coverage(stems)
            score = coverage + 0.3 * coverage * passage.coverage + 0.05 / (1 + rank)
            current = Candidate(text, passage, passage.start + s, stems, coverage, score)
            injected = addresses_assistant(text)  # never quoted, not even as a continuation
            if previous is not None and not injected:
                previous.follower = current
            if coverage > 0 and len(text) <= MAX_SENTENCE_CHARS and not injected:
                found.append(current)
            previous = current
    return found


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def select_sentences(
    query: QueryTerms, passages: list[Passage], limit: int, *, lead_coverage: float
) -> list[Candidate]:
    """Greedy MMR-style pick: high score, no near-duplicates, a nudge towards other articles.

    The first (lead) sentence must come from a passage covering at least `lead_coverage` of
    the question: a sentence that matches the question's words inside an off-topic passage
    ("Roman emperor" for "How do emperor penguins sleep?") must not lead the answer.
    """
    pool = _candidates(query, passages, lead_coverage)
    chosen: list[Candidate] = []
    best = 0.0
    while pool and len(chosen) < limit:

        def adjusted(c: Candidate) -> float:
            same = sum(1 for x in chosen if x.passage.article_id == c.passage.article_id)
            return c.score - SAME_ARTICLE_PENALTY * same

        pool.sort(key=lambda c: (-adjusted(c), c.passage.chunk_id, c.position))
        if chosen:
            top = pool.pop(0)
        else:
            leads = [c for c in pool if c.passage.coverage >= lead_coverage]
            if not leads:
                break
            top = leads[0]
            pool.remove(top)
        if chosen and top.score < KEEP_RATIO * best:
            break
        if any(_jaccard(top.stems, c.stems) >= NEAR_DUPLICATE for c in chosen):
            continue
        best = max(best, top.score)
        chosen.append(top)
    _add_continuation(chosen, limit)
    return chosen


def _add_continuation(chosen: list[Candidate], limit: int) -> None:
    """Follow the best sentence with the next one when it left the question half-answered."""
    if not chosen:
        return
    lead = chosen[0]
    follower = lead.follower
    if (
        follower is None
        or lead.coverage >= 1.0
        or follower.coverage >= lead.coverage
        or len(follower.text) > MAX_SENTENCE_CHARS
    ):
        return
    if any(
        c.position == follower.position and c.passage.article_id == lead.passage.article_id
        for c in chosen
    ):
        return
    if len(chosen) >= limit:
        chosen.pop()
    chosen.insert(1, follower)


def extractive_answer(
    question: str, result: SearchResult, *, threshold: float, max_sentences: int
) -> Answer:
    passages = supporting(question, result.passages)
    best_coverage = max((p.coverage for p in passages), default=0.0)
    if not passages or best_coverage < threshold:
        return Answer(question=question, answer=abstention_text(question), abstained=True)
    chosen = select_sentences(result.query, passages, max_sentences, lead_coverage=threshold)
    if not chosen or not answers_type(question, (c.text for c in chosen)):
        return Answer(question=question, answer=abstention_text(question), abstained=True)
    article_order: dict[int, int] = {}
    for c in chosen:
        article_order.setdefault(c.passage.article_id, len(article_order))
    chosen.sort(key=lambda c: (article_order[c.passage.article_id], c.position))
    book = SourceBook()
    sentences = [AnswerSentence(text=c.text, citations=[book.cite(c.passage)]) for c in chosen]
    return Answer(
        question=question,
        answer=answer_text(sentences),
        abstained=False,
        mode="extractive",
        sentences=sentences,
        sources=book.sources(),
    )
