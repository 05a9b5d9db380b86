"""Pack the best passages into the prompt budget, preferring distinct articles.

Passages stay whole and are numbered 1..N in the order chosen; each goes into the prompt as
a delimited data block with its title, source and date. Any delimiter-like text inside an
article is defused so it cannot close its block early.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.models import Passage
from bot.text.tokens import count_tokens

SAME_ARTICLE_PENALTY = 0.35
REDUNDANCY_PENALTY = 0.5
BLOCK_SEPARATOR_TOKENS = 2
MIN_USEFUL_TOKENS = 40
_DELIMITER = re.compile(r"<{2,}|>{2,}")


@dataclass
class PackedPassage:
    n: int
    passage: Passage
    block: str
    tokens: int


def defuse(text: str) -> str:
    """Break up `<<<`/`>>>` runs so untrusted text cannot open or close a prompt block."""
    return _DELIMITER.sub(lambda m: " ".join(m.group()), text)


def passage_block(n: int, passage: Passage) -> str:
    meta = [f"Title: {defuse(passage.title)}"]
    if passage.source:
        meta.append(f"Source: {defuse(passage.source)}")
    when = passage.published_at or None
    if when is not None:
        meta.append(f"Date: {when.date().isoformat()}")
    body = defuse(passage.text.strip())
    return f"<<<PASSAGE {n}>>>\n" + "\n".join(meta) + f"\nText: {body}\n<<<END PASSAGE {n}>>>"


def _word_set(text: str) -> set[str]:
    """Lower-cased words: enough to see that two passages say the same thing."""
    return set(text.lower().split())


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def pack_passages(passages: list[Passage], budget_tokens: int) -> list[PackedPassage]:
    """Greedy MMR: relevance minus penalties for a repeated article and overlapping text."""
    if budget_tokens < MIN_USEFUL_TOKENS or not passages:
        return []
    top = max(p.score for p in passages) or 1.0
    pool = [_Candidate(p, _word_set(p.text), p.score / top) for p in passages]
    packed: list[PackedPassage] = []
    used = 0
    while pool and budget_tokens - used >= MIN_USEFUL_TOKENS:
        best = min(pool, key=lambda c: (-c.value(), c.passage.chunk_id))
        pool.remove(best)
        n = len(packed) + 1
        block = passage_block(n, best.passage)
        cost = count_tokens(block) + BLOCK_SEPARATOR_TOKENS
        if used + cost > budget_tokens:
            continue  # keep passages whole: a smaller one further down may still fit
        used += cost
        packed.append(PackedPassage(n=n, passage=best.passage, block=block, tokens=cost))
        for c in pool:
            c.note_chosen(best)
    return packed


@dataclass
class _Candidate:
    passage: Passage
    stems: set[str]
    relevance: float
    same_article: int = 0
    overlap: float = 0.0

    def value(self) -> float:
        return (
            self.relevance
            - SAME_ARTICLE_PENALTY * self.same_article
            - REDUNDANCY_PENALTY * self.overlap
        )

    def note_chosen(self, chosen: _Candidate) -> None:
        if chosen.passage.article_id == self.passage.article_id:
            self.same_article += 1
        self.overlap = max(self.overlap, _jaccard(self.stems, chosen.stems))


def render_blocks(packed: list[PackedPassage]) -> str:
    return "\n\n".join(p.block for p in packed)
