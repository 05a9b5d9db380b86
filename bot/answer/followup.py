"""Follow-up questions ("and who claimed it?") made standalone from the conversation.

Offline, a heuristic carries the previous question's key terms into a question that looks
like a follow-up. With an LLM the model rewrites it (see `prompts/condense.txt`); the
history given to it is bounded in tokens, newest turns first.
"""

from __future__ import annotations

from bot.llm.schema import strip_markers
from bot.models import Turn
from bot.text.tokens import count_tokens
from bot.text.words import STOPWORDS, stem, words

FOLLOWUP_OPENERS = ("and ", "but ", "so ", "also ", "then ", "what about ", "how about ")
REFERRING_WORDS = frozenset(
    "it its it's they them their theirs he him his she her hers that this those these there "
    "then one ones same such".split()
)
MAX_CARRIED_TERMS = 8
MAX_ANSWER_TOKENS_PER_TURN = 120
MAX_STANDALONE_CHARS = 400


def looks_like_followup(question: str) -> bool:
    """Opens like a continuation, leans on a pronoun, or has almost no content of its own."""
    lowered = " ".join(question.lower().split())
    if lowered.startswith(FOLLOWUP_OPENERS):
        return True
    tokens = words(question)
    if any(t in REFERRING_WORDS for t in tokens):
        return True
    return sum(1 for t in tokens if t not in STOPWORDS) <= 1


def key_terms(question: str) -> list[str]:
    """The content words of a question, in order, one per stem."""
    seen: dict[str, str] = {}
    for w in words(question):
        if w not in STOPWORDS and w not in REFERRING_WORDS:
            seen.setdefault(stem(w), w)
    return list(seen.values())


def heuristic_standalone(question: str, history: list[Turn]) -> str:
    """Append the key terms of the latest earlier questions that the follow-up lacks."""
    if not history or not looks_like_followup(question):
        return question
    have = {stem(w) for w in words(question)}
    carried: list[str] = []
    for turn in reversed(history[-2:]):
        for term in key_terms(turn.question):
            if stem(term) not in have and len(carried) < MAX_CARRIED_TERMS:
                have.add(stem(term))
                carried.append(term)
        if carried:
            break
    if not carried:
        return question
    return f"{question.strip()} ({' '.join(carried)})"


def bounded_history(history: list[Turn], max_tokens: int) -> str:
    """The newest turns that fit in `max_tokens`, oldest first; long answers are clipped."""
    lines: list[str] = []
    used = 0
    for turn in reversed(history):
        answer = _clip(strip_markers(turn.answer), MAX_ANSWER_TOKENS_PER_TURN)
        entry = f"User: {turn.question.strip()}\nAssistant: {answer}"
        cost = count_tokens(entry)
        if used + cost > max_tokens:
            break
        used += cost
        lines.append(entry)
    return "\n".join(reversed(lines))


def _clip(text: str, max_tokens: int) -> str:
    if count_tokens(text) <= max_tokens:
        return text
    cut = text[: max_tokens * 4]
    while cut and count_tokens(cut) > max_tokens:
        cut = cut[: int(len(cut) * 0.8)]
    return cut.rstrip() + " …"


def clean_rewrite(reply: str, fallback: str) -> str:
    """The model's rewrite, first line, quotes and labels stripped; `fallback` if unusable."""
    line = next((ln.strip() for ln in reply.splitlines() if ln.strip()), "")
    for label in ("standalone question:", "question:"):
        if line.lower().startswith(label):
            line = line[len(label) :].strip()
    line = line.strip("\"'“”` ")
    if not line or len(line) > MAX_STANDALONE_CHARS or not words(line):
        return fallback
    return line


def carried_terms(question: str, standalone: str) -> list[str]:
    """The words a standalone rewrite adds to the asker's own: context, not the question."""
    if standalone == question:
        return []
    own = {stem(w) for w in words(question)}
    return [
        w for w in dict.fromkeys(words(standalone)) if w not in STOPWORDS and stem(w) not in own
    ]
