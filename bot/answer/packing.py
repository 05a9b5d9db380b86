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
from bot.text.words import content_stems

SAME_ARTICLE_PENALTY = 0.35
REDUNDANCY_PENALTY = 0.5
BLOCK_SEPARATOR_TOKENS = 2
_DELIMITER = re.compile(r"<{2,}|>{2,}")


@dataclass
class PackedPassage:
    n: int
    passage: Passage
    block: str
    tokens: int


def _defuse(text: str) -> str:
    return _DELIMITER.sub(lambda m: " ".join(m.group()), text)


def passage_block(n: int, passage: Passage) -> str:
    meta = [f"Title: {_defuse(passage.title)}"]
    if passage.source:
        meta.append(f"Source: {_defuse(passage.source)}")
    when = passage.published_at or None
    if when is not None:
        meta.append(f"Date: {when.date().isoformat()}")
    body = _defuse(passage.text.strip())
    return f"<<<PASSAGE {n}>>>\n" + "\n".join(meta) + f"\nText: {body}\n<<<END PASSAGE {n}>>>"


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def pack_passages(passages: list[Passage], budget_tokens: int) -> list[PackedPassage]:
    """Greedy MMR: relevance minus penalties for a repeated article and overlapping text."""
    if budget_tokens <= 0 or not passages:
        return []
    top = max(p.score for p in passages) or 1.0
    pool = [(p, set(content_stems(p.text))) for p in passages]
    chosen: list[tuple[Passage, set[str]]] = []
    packed: list[PackedPassage] = []
    used = 0
    while pool:

        def value(item: tuple[Passage, set[str]]) -> float:
            passage, stems = item
            same = sum(1 for c, _ in chosen if c.article_id == passage.article_id)
            overlap = max((_jaccard(stems, s) for _, s in chosen), default=0.0)
            return passage.score / top - SAME_ARTICLE_PENALTY * same - REDUNDANCY_PENALTY * overlap

        pool.sort(key=lambda item: (-value(item), item[0].chunk_id))
        passage, stems = pool.pop(0)
        n = len(packed) + 1
        block = passage_block(n, passage)
        cost = count_tokens(block) + BLOCK_SEPARATOR_TOKENS
        if used + cost > budget_tokens:
            continue  # keep passages whole: a smaller one further down may still fit
        used += cost
        chosen.append((passage, stems))
        packed.append(PackedPassage(n=n, passage=passage, block=block, tokens=cost))
    return packed


def render_blocks(packed: list[PackedPassage]) -> str:
    return "\n\n".join(p.block for p in packed)
