"""BM25 over the database's own full-text index, for stores without the postings index.

The full-text index (FTS5, or PostgreSQL's tsvector) picks candidates quickly; they are
rescored with the same BM25 as `bot.retrieval.bm25` (Lucene IDF, which stays positive,
title words weighted higher). Exact only when every match fits the candidate budget.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.models import SearchFilters
from bot.retrieval.bm25 import K1, B, SearchResult, coord, lucene_idf
from bot.retrieval.query import QueryTerms, analyze
from bot.store.search import PassageRow, SearchIndex, passage_from_row
from bot.text.words import counts_of, fold, index_stem, index_terms, stem_prefix_pattern

# Terms this common are left out of the FTS5 candidate query when rarer ones exist.
COMMON_SHARE = 0.08
# FTS5 computes bm25() for every row its MATCH selects (~2 µs a row at 250k passages), so the
# candidate query OR-s only the rarest terms whose document frequencies sum to this many rows;
# the commoner terms still count when the candidates are rescored.
SCORED_ROWS_BUDGET = 3000
# Below this many passages every term goes into the candidate query (it is cheap and exact).
SMALL_CORPUS = 1000


@dataclass
class Step:
    """One candidate query: passages with any (or every, `all_of`) of `words`, ranked, or
    the newest matches when not `ranked`."""

    words: list[str]
    rows: int  # at most this many passages match
    all_of: bool = False
    ranked: bool = True
    fallback: bool = False


class CandidateRetriever:
    def __init__(self, index: SearchIndex, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self._last_dfs: dict[str, int] = {}

    def known_terms(self, stems: list[str]) -> set[str]:
        """The stems that occur somewhere in the corpus (from the same cached counts; the
        last search's, when it asked for these stems)."""
        last = self._last_dfs
        if all(s in last for s in stems):
            return {s for s in stems if last[s]}
        return set(self.index.doc_freqs(stems, self.index.corpus()[0]))

    def _doc_freqs(self, query: QueryTerms, n_chunks: int) -> tuple[dict[str, int], dict[str, str]]:
        """Each stem's document count as the full-text index counts its term (and the terms):
        a word shorter than three letters is indexed as it is ("US" as "us", whose stem is
        "u"), so its count, and that of the stem it equals ("use" -> "us"), include the
        other's passages (an upper bound; the postings index counts stems exactly)."""
        terms = {s: index_stem(fold(query.surface[s])) for s in query.stems}
        found = self.index.doc_freqs(list(dict.fromkeys(terms.values())), n_chunks)
        dfs = {s: found[t] for s, t in terms.items() if t in found}
        self._last_dfs = {s: dfs.get(s, 0) for s in query.stems}
        return dfs, terms

    def search(
        self, question: str, k: int | None = None, filters: SearchFilters | None = None
    ) -> SearchResult:
        query = analyze(question)
        k = k or self.settings.answers.top_k
        if not query.stems:
            return SearchResult(query=query, passages=[])
        n_chunks, avgdl = self.index.corpus()
        dfs, terms = self._doc_freqs(query, n_chunks)
        rows = self._gather(self._match_plan(query, dfs, n_chunks), filters, k)
        wanted, pattern = set(query.stems), stem_prefix_pattern(query.stems)
        titles: dict[str, Counter[str]] = {}
        candidate_stems = []
        for row in rows:
            title_tf = titles.get(row.title)
            if title_tf is None:
                title_tf = titles[row.title] = counts_of(wanted, pattern, row.title)
            candidate_stems.append((title_tf, counts_of(wanted, pattern, row.text)))
        for s in query.stems:
            seen = sum(1 for title, body in candidate_stems if s in title or s in body)
            exact = _all_candidates(terms[s], dfs.get(s, 0), rows)
            dfs[s] = seen if exact else max(dfs.get(s, 0), seen)
        query.weights = lucene_idf(query, dfs, n_chunks)
        title_weight = self.settings.retrieval.title_weight
        scored = []
        for row, (title_tf, body_tf) in zip(rows, candidate_stems, strict=True):
            norm = K1 * (1 - B + B * max(int(row.words), 1) / avgdl)
            score = 0.0
            present: set[str] = set()
            for s in query.stems:
                tf = title_weight * title_tf.get(s, 0) + body_tf.get(s, 0)
                if tf:
                    present.add(s)
                    score += query.weights[s] * tf * (K1 + 1) / (tf + norm)
            if not present:  # matched a short word's index term only ("US" for "use")
                continue
            score *= coord(len(present), len(query.stems))
            scored.append((-score, -_timestamp(row.when), row.chunk_id, row, present))
        scored.sort(key=lambda item: item[:3])
        passages = [
            passage_from_row(row, -neg_score, query.coverage(present))
            for neg_score, _, _, row, present in scored[:k]
        ]
        return SearchResult(query=query, passages=passages)

    def _match_plan(self, query: QueryTerms, dfs: dict[str, int], n_chunks: int) -> list[Step]:
        """The full-text candidate queries for a question, cheapest first.

        1. Only when some term's rows do not fit the scored-rows budget: passages holding
           every (not too common) term, AND-ed: few rows, and exactly the ones a long
           question such as a headline is after. Terms in more than COMMON_SHARE of
           passages are left out of it when rarer ones remain.
        2. The rarest terms whose document frequencies fit the scored-rows budget, OR-ed,
           for the rest of the candidate slots.
        3. While fewer than k were found: each remaining term alone, rarest first.
        A step that could select more rows than the budget takes the newest matching
        passages instead of ranking them all. Small corpora OR every term, ranked.

        So every passage holding a term is a candidate when the terms' rows fit the budget
        and the candidate slots (the plan is then exact), and a search returns k passages
        whenever k passages hold a query term; beyond that, a passage holding none of the
        rarest terms is found only through the AND step or a fallback.
        """
        words = [query.surface[s] for s in query.stems]
        if n_chunks < SMALL_CORPUS:
            return [Step(words, n_chunks)]
        present = sorted((s for s in query.stems if dfs.get(s, 0) > 0), key=lambda s: dfs[s])
        if not present:
            return [Step(words, 0)]
        essential: list[str] = []
        total = 0
        for s in present:
            if total + dfs[s] > SCORED_ROWS_BUDGET:
                break
            essential.append(s)
            total += dfs[s]
        rest = present[len(essential) :]
        pool = [s for s in present if dfs[s] <= COMMON_SHARE * n_chunks] or present
        plan = []
        if rest and len(pool) > 1:
            every = [query.surface[s] for s in pool]
            ranked = dfs[pool[0]] <= SCORED_ROWS_BUDGET
            plan.append(Step(every, dfs[pool[0]], all_of=True, ranked=ranked))
        if essential:
            plan.append(Step([query.surface[s] for s in essential], total))
        plan += [
            Step([query.surface[s]], dfs[s], ranked=dfs[s] <= SCORED_ROWS_BUDGET, fallback=True)
            for s in rest
        ]
        return plan

    def _gather(self, plan: list[Step], filters: SearchFilters | None, k: int) -> list[PassageRow]:
        """Up to `candidates` rows (k if more) from the plan's steps; fallback steps only while
        fewer than k.

        A step whose matches all fit in the free slots is not ranked: bm25() would walk
        every term's postings for its IDF and score each row, to order rows all kept anyway.
        """
        rows: list[PassageRow] = []
        seen: set[int] = set()
        for step in plan:
            room = max(self.settings.retrieval.candidates, k) - len(rows)
            if room <= 0 or (step.fallback and len(rows) >= k):
                break
            ranked = step.ranked and step.rows > room
            for row in self.index.candidates(
                step.words,
                filters,
                room,
                all_of=step.all_of,
                ranked=ranked,
                title_weight=self.settings.retrieval.title_weight,
            ):
                if row.chunk_id not in seen:
                    seen.add(row.chunk_id)
                    rows.append(row)
        return rows


def _all_candidates(term: str, docs: int, rows: list[PassageRow]) -> bool:
    """Whether `rows` hold all `docs` passages of a short index term (whose count is only an
    upper bound for the stem): the candidates then count the stem exactly."""
    if len(term.encode()) >= 3 or docs > len(rows):
        return False
    return sum(1 for r in rows if term in index_terms(r.title) | index_terms(r.text)) >= docs


def _timestamp(when: datetime | None) -> float:
    return when.timestamp() if when else 0.0
