"""Choose the evidence for an answer: the sentences that answer the question, and how sure.

Every sentence of the top passages is a candidate. It is scored by how much of the question's
(IDF-weighted) terms it covers, alone and with the sentence before it and the title (news
prose often names the subject in one sentence and gives the answer in the next), plus a bonus
when it holds a candidate of the asked type ("how many Marines" → a number before "Marines";
"which state" → a place), and more when the other articles give the same candidate
(`bot.answer.support`); less when its source is old when asked (`bot.retrieval.recency`).
The lead is the best sentence, followed by its next sentence when it left part of the
question uncovered ("…attacks on the Ain al-Asad airbase…" then "Reports
suggest a barrage of drones…"); the others follow by maximal marginal relevance, so no two say
the same thing.

The lead's signals (how much of the question its sentence, passage and whole article cover,
how much the other articles cover, the question's names absent from its source, the freshest
source's age, the lead's age when the question names a time, how many articles give its
candidate, whether the question asks for a type at all) feed one calibrated confidence
(`bot.answer.confidence`); the pipeline abstains below the threshold, and when the question
asks for a count or a role that no chosen sentence gives (`Evidence.gap`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.answer.answer_line import AnswerLine, answer_line
from bot.answer.candidates import bound_candidates, candidates, mentions
from bot.answer.injection import addresses_assistant
from bot.answer.questions import QuestionFacts
from bot.answer.support import Support, candidate_key, support
from bot.models import Passage
from bot.retrieval.query import QueryTerms
from bot.retrieval.recency import age
from bot.text.sentences import sentence_spans
from bot.text.words import STOPWORDS, content_stems, fold, stem, words

# Passages read for sentences (the pipeline hands in the best articles' passages), ranked by
# their article's place.
PASSAGES_CONSIDERED = 60
MAX_SENTENCE_CHARS = 600
MIN_SENTENCE_WORDS = 4
# A sentence's score: the weighted sum of its features (`Sentence.features`). Fitting them
# (benchmarks/fit_sentences.py, conditional logit on the tune weeks) ranked the answer's
# sentence no better out of fold, so they stay as chosen by hand.
SENTENCE_WEIGHTS: dict[str, float] = {
    "coverage": 0.6,
    "context": 0.4,
    "passage": 0.3,
    "typed": 0.25,
    "article_rank": 0.02,
    "support": 0.3,
    "age": -0.3,
}
# Candidate support (`bot.answer.support`) lifts the sentences holding a well-supported answer.
SUPPORT = True
# Later sentences: this much of the lead's score at least, and no more alike than REDUNDANT.
KEEP_RATIO = 0.55
# ... judged by how well they match the question, before candidate support (off: after).
KEEP_BY_MATCH = True
REDUNDANT = 0.35
MMR_LAMBDA = 0.7
SAME_ARTICLE_PENALTY = 0.05
# When the lead is followed by its next sentence: "always" (in the place of the last pick when
# the answer is full), "room" (only when the answer has room for it), "partial" (only when the
# lead left part of the question uncovered) or "off".
CONTINUATION = "room"
# A question's name counts as present only where the text names it as a word or name form
# ("Good" is not "goods"); off: wherever its stem occurs.
NAMES_AS_WORDS = True
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
    bound: list[str] = field(default_factory=list)  # ... next to the asked noun
    features: dict[str, float] = field(default_factory=dict)
    soft: dict[str, float] = field(default_factory=dict)  # question stems found as paraphrases
    score: float = 0.0
    matched: float = 0.0  # the score before its candidate's support was added
    follower: Sentence | None = None  # the next sentence of the passage


@dataclass
class Evidence:
    """The chosen sentences (lead first) and the signals the confidence is computed from."""

    sentences: list[Sentence]
    signals: dict[str, float]
    missing_terms: list[str]
    best_coverage: float
    gap: str | None = None  # what the question asks that no chosen sentence gives
    line: AnswerLine | None = None  # the answer itself, to lead the composed answer


def sentences_of(
    query: QueryTerms,
    facts: QuestionFacts,
    passages: list[Passage],
    paraphrase: Paraphrase | None,
    reference: datetime | None = None,
) -> list[Sentence]:
    """Scored candidate sentences of the top passages."""
    asked = asked_words(query, facts)
    named = {stem(n): n for n in facts.names}
    cover = query.soft_coverer()
    found: list[Sentence] = []
    ranks: dict[int, int] = {}
    for passage in passages[:PASSAGES_CONSIDERED]:
        rank = ranks.setdefault(passage.article_id, len(ranks))
        passage_age = age(passage, reference)
        title_words = _content_words(passage.title)
        title = _named_stems(title_words, passage.title, named)
        previous: set[str] = set()
        previous_words: set[str] = set()
        last: Sentence | None = None
        for s, e in sentence_spans(passage.text):
            text = passage.text[s:e]
            clean = _MARKUP.sub(" ", text)
            own_words = _content_words(clean)
            stems = _named_stems(own_words, clean, named)
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
            sent.soft = soft
            sent.coverage = cover(stems, soft)
            sent.context = cover(window, soft)
            if sent.context <= 0:
                continue
            typed = candidates(clean, facts.answer_type, asked)
            sent.bound = bound_candidates(clean, facts.answer_type, asked, facts.names)
            sent.found = sent.bound or typed
            sent.features = {
                "coverage": sent.coverage,
                "context": sent.context,
                "passage": passage.coverage,
                "typed": 1.0 if sent.found else 0.0,
                "article_rank": 1.0 / (1 + rank),
                "age": passage_age,
            }
            sent.score = sum(SENTENCE_WEIGHTS.get(k, 0.0) * v for k, v in sent.features.items())
            sent.matched = sent.score
            found.append(sent)
    return found


def supported(pool: list[Sentence], asked: set[str]) -> Support:
    """The candidates' support over the pool, added to each sentence as its `support`
    feature: the relative support of its best-supported candidate."""
    backing = support(((s.found, s.passage.article_id, s.score) for s in pool), asked)
    if not SUPPORT:
        return backing
    for s in pool:
        value = max((backing.of(candidate_key(c, asked)) for c in s.found), default=0.0)
        s.features["support"] = value
        s.score += SENTENCE_WEIGHTS.get("support", 0.0) * value
    return backing


def asked_words(query: QueryTerms, facts: QuestionFacts) -> set[str]:
    """The question's words (folded) and names: what an answer candidate is not."""
    return {fold(w) for w in words(" ".join(query.surface.values()))} | facts.names


def _named_stems(content: set[str], text: str, named: dict[str, str]) -> set[str]:
    """Stems of a text's content words, where a question's name counts only when the text
    names it ("goods" is not "Good", "Palestinians" is "Palestinian")."""
    stems = {stem(w) for w in content}
    if not NAMES_AS_WORDS:
        return stems
    return {s for s in stems if s not in named or mentions(text, named[s])}


def _weight_share(query: QueryTerms, present: set[str], among: set[str]) -> float:
    total = sum(query.weights.get(t, 0.0) for t in among)
    got = sum(query.weights.get(t, 0.0) for t in among if t in present)
    return got / total if total > 0 else 0.0


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
    """The best sentence, then MMR picks that add something the chosen ones do not say.

    Scores are log-linear, so a sentence's weight beside the lead is exp(score − lead's): a
    later sentence must be at least KEEP_RATIO as likely as the lead to hold the answer. Those
    that are not are left out before MMR chooses, so which ones the search returned beside
    them (another backend's candidate plan) does not change the answer.
    """
    if not pool:
        return []
    ranked = sorted(pool, key=lambda c: (-c.score, c.passage.chunk_id, c.position))
    chosen = [ranked[0]]
    lead_score = ranked[0].score

    def relative(c: Sentence) -> float:
        return math.exp(min(c.score - lead_score, 0.0))

    def worth_quoting(c: Sentence) -> bool:
        """As likely as the lead to match the question: support chooses the lead, it does not
        silence a source that gives another answer."""
        gap = c.matched - ranked[0].matched if KEEP_BY_MATCH else c.score - lead_score
        return math.exp(min(gap, 0.0)) >= KEEP_RATIO

    rest = [c for c in ranked[1:] if worth_quoting(c)]
    while rest and len(chosen) < limit:

        def mmr(c: Sentence) -> float:
            overlap = max(_jaccard(c.stems, x.stems) for x in chosen)
            same = sum(1 for x in chosen if x.passage.article_id == c.passage.article_id)
            return (
                MMR_LAMBDA * relative(c) - (1 - MMR_LAMBDA) * overlap - SAME_ARTICLE_PENALTY * same
            )

        best = max(rest, key=mmr)
        rest.remove(best)
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
        if CONTINUATION == "room":
            return
        chosen.pop()
    chosen.insert(1, follower)


def names_missing(names: set[str], passage: Passage) -> float:
    """Share of the question's names the passage does not name (`candidates.mentions`:
    "France" is not "francs", "Good" is not "goods", "Palestinians" is "Palestinian")."""
    if not names:
        return 0.0
    text = f"{passage.title}\n{passage.text}"
    return sum(1 for n in names if not mentions(text, n)) / len(names)


def select_evidence(
    query: QueryTerms,
    facts: QuestionFacts,
    passages: list[Passage],
    limit: int,
    paraphrase: Paraphrase | None = None,
    reference: datetime | None = None,
    scoped: bool = False,
) -> Evidence:
    """The chosen sentences and the lead's signals; `scoped`: the question names a time."""
    pool = sentences_of(query, facts, passages, paraphrase, reference)
    asked = asked_words(query, facts)
    backing = supported(pool, asked)
    chosen = choose(pool, limit)
    best_coverage = max((p.coverage for p in passages), default=0.0)
    if not chosen:
        return Evidence([], {}, [query.surface[s] for s in query.stems], best_coverage)
    lead = chosen[0]
    article_stems = {stem(w) for w in _content_words(lead.passage.title)}
    for p in passages:
        if p.article_id == lead.passage.article_id:
            article_stems |= {stem(w) for w in _content_words(_MARKUP.sub(" ", p.text))}
    others = [p.coverage for p in passages if p.article_id != lead.passage.article_id]
    source_age = age(lead.passage, reference)
    signals = {
        "passage_coverage": lead.passage.coverage,
        "sentence_coverage": lead.coverage,
        "article_coverage": query.soft_coverage(article_stems, lead.soft),
        "other_coverage": max(others, default=0.0),
        "names_missing": names_missing(facts.names, lead.passage),
        "age_scoped": source_age if scoped else 0.0,
        "fresh_age": min(age(p, reference) for p in passages),
        "candidate_articles": _agreeing(backing, lead, asked),
        "untyped": 1.0 if facts.answer_type.kind == "any" else 0.0,
    }
    present = set(content_stems(f"{lead.passage.title}\n{lead.passage.text}"))
    missing = [query.surface[s] for s in query.stems if s not in present]
    line = answer_line(facts, lead, backing, asked)
    return Evidence(chosen, signals, missing, best_coverage, _gap(facts, chosen), line)


# This many articles giving the lead's candidate count as full agreement.
AGREEING_ARTICLES = 3


def _agreeing(backing: Support, lead: Sentence, asked: set[str]) -> float:
    """How many articles give the lead's best-supported candidate, as a share of
    AGREEING_ARTICLES (capped at 1); 0 when the lead holds no candidate."""
    keys = [candidate_key(c, asked) for c in lead.found]
    articles = max((len(backing.articles.get(k, ())) for k in keys), default=0)
    return min(articles / AGREEING_ARTICLES, 1.0)


def _gap(facts: QuestionFacts, chosen: list[Sentence]) -> str | None:
    """A count or a role the question asks for that no chosen sentence gives: "how many
    Israelis were killed" answered only with Palestinians' deaths, "who is the president of
    Iran" with no president of Iran named. The answer would mislead, so it says this instead."""
    wanted = facts.answer_type
    binds = wanted.kind == "number" or (wanted.kind == "person" and wanted.noun is not None)
    if not binds or any(c.found if wanted.noun is None else c.bound for c in chosen):
        return None
    return f"None of these sources says {facts.asked}."
