"""The LLM seam of briefings: what one story's prompt contains and how replies map back.

`LLMStorySummariser` (llm_summary.py) renders `prompts/briefing.md` with
`prompt_values(draft)`, asks the model once, verifies the reply with the same machinery as
answers, and returns `to_summary(draft, sentences)`; numbers in the reply are local to the
story (1..k).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.answer.packing import defuse
from bot.briefing.summary import StoryDraft, SummarySentence
from bot.store.records import WindowArticle

MAX_PASSAGES = 8
PASSAGE_CHARS = 1200


def story_passages(draft: StoryDraft) -> list[WindowArticle]:
    """One passage per copy group (syndicated copies add nothing), central article first."""
    first = [a for a in draft.representatives if a.title == draft.headline][:1]
    rest = [a for a in draft.representatives if a not in first]
    return (first + rest)[:MAX_PASSAGES]


def prompt_values(draft: StoryDraft, max_sentences: int) -> dict[str, str]:
    blocks = []
    for n, article in enumerate(story_passages(draft), 1):
        body = article.text[:PASSAGE_CHARS]
        meta = " · ".join(x for x in (article.source, article.when.date().isoformat()) if x)
        blocks.append(
            f"<<<PASSAGE {n}>>>\n{defuse(article.title)} ({defuse(meta)})\n"
            f"{defuse(body)}\n<<<END PASSAGE {n}>>>"
        )
    outlets = {a.source or "" for a in draft.articles}
    return {
        "max_sentences": str(max_sentences),
        "headline": defuse(draft.headline),
        "articles": str(len(draft.articles)),
        "outlets": str(len(outlets)),
        "first_seen": min(a.when for a in draft.articles).isoformat(),
        "last_seen": max(a.when for a in draft.articles).isoformat(),
        "passages": "\n\n".join(blocks),
    }


def to_summary(
    draft: StoryDraft, sentences: Sequence[tuple[str, Sequence[int]]]
) -> list[SummarySentence]:
    """Local passage numbers → article ids; numbers that were never supplied are dropped."""
    passages = story_passages(draft)
    out: list[SummarySentence] = []
    for text, numbers in sentences:
        ids = [passages[n - 1].id for n in numbers if 1 <= n <= len(passages)]
        if ids and text.strip():
            out.append(SummarySentence(text.strip(), list(dict.fromkeys(ids))))
    return out
