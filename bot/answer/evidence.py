"""Choose the evidence for an answer: the sentences that answer the question, and how sure.

Every sentence of the top passages is a candidate. It is scored by how much of the question's
(IDF-weighted) terms it covers, alone and with the sentence before it and the title (news
prose often names the subject in one sentence and gives the answer in the next), plus a bonus
when it holds a candidate of the asked type ("how many Marines" → a number before "Marines";
"which state" → a place). The lead is the best sentence, followed by its next sentence when it
left part of the question uncovered ("…attacks on the Ain al-Asad airbase…" then "Reports
suggest a barrage of drones…"); the others follow by maximal marginal relevance, so no two say
the same thing.

The lead's signals (coverage of its passage and of its context, a missing answer type, the
question's names and figures absent from the source, a source older than the year asked
about) feed one calibrated confidence (`bot.answer.confidence`); the pipeline abstains below
the threshold.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.answer.candidates import candidates
from bot.answer.injection import addresses_assistant
from bot.answer.questions import QuestionFacts, numbers
from bot.models import Passage
from bot.retrieval.query import QueryTerms
from bot.text.sentences import sentence_spans
from bot.text.words import STOPWORDS, content_stems, fold, stem, words

PASSAGES_CONSIDERED = 8
MAX_SENTENCE_CHARS = 600
MIN_SENTENCE_WORDS = 4
TYPE_BONUS = 0.25
PASSAGE_WEIGHT = 0.3
CONTEXT_WEIGHT = 0.4
# Later sentences: this much of the lead's score at least, and no more alike than REDUNDANT.
KEEP_RATIO = 0.6
REDUNDANT = 0.35
MMR_LAMBDA = 0.7
SAME_ARTICLE_PENALTY = 0.05
# When the lead is followed by its next sentence: "always", "partial" (only when the lead left
# part of the question uncovered) or "off".
CONTINUATION = "always"
# Feed descriptions can carry raw HTML: a sentence's tags and link targets are not its words.
_MARKUP = re.compile(r"<[^>]*>|https?://\S+")

# A question term missing from a sentence may be there in other words ("injured"/"wounded").
Paraphrase = Callable[[list[str], set[str]], dict[str, float]]


@dataclass
class Sentence:
    text: str
    passage: Passage
    rank: int
    position: int
    stems: set[str]
    coverage: float = 0.0  # of the question, by this sentence alone
    context: float = 0.0  # by the sentence, the one before it and the title
    found: list[str] = field(default_factory=list)  # answer candidates of the asked type
    score: float = 0.0
    follower: Sentence | None = None  # the next sentence of the passage


@dataclass
class Evidence:
    """The chosen sentences (lead first) and the signals the confidence is computed from."""

    sentences: list[Sentence]
    signals: dict[str, float]
    missing_terms: list[str]
    best_coverage: float


def sentences_of(
    query: QueryTerms,
    facts: QuestionFacts,
    passages: list[Passage],
    paraphrase: Paraphrase | None,
) -> list[Sentence]:
    """Scored candidate sentences of the top passages."""
    asked = {fold(w) for w in words(" ".join(query.surface.values()))} | facts.names
    found: list[Sentence] = []
    for rank, passage in enumerate(passages[:PASSAGES_CONSIDERED]):
        title_words = _content_words(passage.title)
        title = {stem(w) for w in title_words}
        previous: set[str] = set()
        previous_words: set[str] = set()
        last: Sentence | None = None
        for s, e in sentence_spans(passage.text):
            text = passage.text[s:e]
            clean = _MARKUP.sub(" ", text)
            own_words = _content_words(clean)
            stems = {stem(w) for w in own_words}
            window = stems | previous | title
            window_words = own_words | previous_words | title_words
            previous, previous_words = stems, own_words
            if not _statement(clean) or addresses_assistant(clean):
                last = None  # an injected order is never quoted, not even as a continuation
                continue
            soft: dict[str, float] = {}
            if paraphrase is not None:
                missing = [query.surface[t] for t in query.stems if t not in window]
                soft = paraphrase(missing, window_words) if missing else {}
            sent = Sentence(text, passage, rank, passage.start + s, stems)
            if last is not None:
                last.follower = sent
            last = sent
            sent.coverage = query.soft_coverage(stems, soft)
            sent.context = query.soft_coverage(window, soft)
            if sent.context <= 0:
                continue
            sent.found = candidates(clean, facts.answer_type, asked)
            typed = facts.answer_type.kind != "any"
            sent.score = (
                (1 - CONTEXT_WEIGHT) * sent.coverage
                + CONTEXT_WEIGHT * sent.context
                + PASSAGE_WEIGHT * passage.coverage
                + (TYPE_BONUS if typed and sent.found else 0.0)
                + 0.02 / (1 + rank)
            )
            found.append(sent)
    return found


def _statement(text: str) -> bool:
    """A sentence that can state an answer: not too long or short, not itself a question."""
    return (
        len(text) <= MAX_SENTENCE_CHARS
        and len(words(text)) >= MIN_SENTENCE_WORDS
        and not text.rstrip("\"'”’) ").endswith("?")
    )


def _content_words(text: str) -> set[str]:
    return {w for w in words(text) if w not in STOPWORDS}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def choose(pool: list[Sentence], limit: int) -> list[Sentence]:
    """The best sentence, then MMR picks that add something the chosen ones do not say."""
    if not pool:
        return []
    ranked = sorted(pool, key=lambda c: (-c.score, c.passage.chunk_id, c.position))
    chosen = [ranked[0]]
    lead_score = ranked[0].score
    rest = ranked[1:]
    while rest and len(chosen) < limit:

        def mmr(c: Sentence) -> float:
            overlap = max(_jaccard(c.stems, x.stems) for x in chosen)
            same = sum(1 for x in chosen if x.passage.article_id == c.passage.article_id)
            return MMR_LAMBDA * c.score - (1 - MMR_LAMBDA) * overlap - SAME_ARTICLE_PENALTY * same

        best = max(rest, key=mmr)
        rest.remove(best)
        if best.score < KEEP_RATIO * lead_score:
            break
        if max(_jaccard(best.stems, x.stems) for x in chosen) >= REDUNDANT:
            continue
        chosen.append(best)
    _add_continuation(chosen, limit)
    return chosen


def _add_continuation(chosen: list[Sentence], limit: int) -> None:
    """Follow the lead with its next sentence: news prose often restates the question in one
    sentence and answers it in the next. Not when the next one is itself a better lead (it
    covers as much of the question)."""
    lead = chosen[0]
    follower = lead.follower
    if CONTINUATION == "off" or (CONTINUATION == "partial" and lead.coverage >= 1.0):
        return
    if follower is None or follower.coverage >= lead.coverage:
        return
    if any(c is follower for c in chosen) or _jaccard(follower.stems, lead.stems) >= REDUNDANT:
        return
    if len(chosen) >= limit:
        chosen.pop()
    chosen.insert(1, follower)


_CAPITALISED = re.compile(r"\b[A-Z][\w'’-]*")


def names_missing(names: set[str], passage: Passage) -> float:
    """Share of the question's names the passage lacks.

    A name is there when written as a word ("France" is not "francs") or capitalised in its
    plural/singular form ("Palestinian(s)"; "Good" is not "goods").
    """
    if not names:
        return 0.0
    text = f"{passage.title}\n{passage.text}"
    present = set(words(text))
    capitals = {fold(w) for m in _CAPITALISED.finditer(text) for w in words(m.group())}
    missing = 0
    for name in names:
        forms = {f"{name}s", name[:-1] if name.endswith("s") else name}
        if name not in present and not forms & capitals:
            missing += 1
    return missing / len(names)


def unknown_names(names: set[str], query: QueryTerms) -> float:
    """Share of the question's names found nowhere in the corpus: it knows nothing of them."""
    known = getattr(query, "in_corpus", None)
    if not names or known is None:
        return 0.0
    return sum(1 for n in names if stem(n) not in known) / len(names)


def _figures_missing(facts: QuestionFacts, passage: Passage) -> float:
    if not facts.figures:
        return 0.0
    return 0.0 if facts.figures <= numbers(f"{passage.title}\n{passage.text}") else 1.0


def _stale(facts: QuestionFacts, passage: Passage) -> float:
    if not facts.past_years or passage.published_at is None:
        return 0.0
    return 1.0 if passage.published_at.year < max(facts.past_years) else 0.0


FRESH_DAYS = 14
STALE_DAYS = 180


def age(passage: Passage, reference: datetime | None) -> float:
    """How old the source is when asked: 0 up to FRESH_DAYS, rising (log-linear) to 1 at
    STALE_DAYS and beyond; undated sources 0. News questions are mostly about recent events."""
    if reference is None or passage.published_at is None:
        return 0.0
    days = (reference - passage.published_at).total_seconds() / 86400
    if days <= FRESH_DAYS:
        return 0.0
    return min(math.log(days / FRESH_DAYS) / math.log(STALE_DAYS / FRESH_DAYS), 1.0)


def outside(passage: Passage, window: tuple[datetime | None, datetime | None] | None) -> float:
    """1 when the question scoped a time ("this week") and the source lies outside it."""
    if window is None:
        return 0.0
    when = passage.published_at
    if when is None:
        return 1.0
    since, until = window
    return 0.0 if (since is None or when >= since) and (until is None or when <= until) else 1.0


def select_evidence(
    query: QueryTerms,
    facts: QuestionFacts,
    passages: list[Passage],
    limit: int,
    paraphrase: Paraphrase | None = None,
    reference: datetime | None = None,
    relaxed_window: tuple[datetime | None, datetime | None] | None = None,
) -> Evidence:
    """The chosen sentences and the lead's signals. `relaxed_window`: the time the question
    scoped ("this week") when the search had to drop that filter."""
    pool = sentences_of(query, facts, passages, paraphrase)
    chosen = choose(pool, limit)
    best_coverage = max((p.coverage for p in passages), default=0.0)
    if not chosen:
        return Evidence([], {}, [query.surface[s] for s in query.stems], best_coverage)
    lead = chosen[0]
    kind = facts.answer_type.kind
    typed = any(c.found for c in chosen)
    signals = {
        "passage_coverage": lead.passage.coverage,
        "context_coverage": lead.context,
        "sentence_coverage": lead.coverage,
        "count_missing": 1.0 if kind == "number" and not typed else 0.0,
        "names_missing": names_missing(facts.names, lead.passage),
        "unknown_names": unknown_names(facts.names, query),
        "figures_missing": _figures_missing(facts, lead.passage),
        "stale": _stale(facts, lead.passage),
        "age": age(lead.passage, reference),
        "outside_scope": outside(lead.passage, relaxed_window),
    }
    present = set(content_stems(f"{lead.passage.title}\n{lead.passage.text}"))
    missing = [query.surface[s] for s in query.stems if s not in present]
    return Evidence(chosen, signals, missing, best_coverage)
