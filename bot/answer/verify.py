"""Check every sentence of a model reply against the passages it cites, offline and cheaply.

A citation to a passage that was not supplied is removed; a sentence left without one is
dropped (or kept uncited, by setting). A cited sentence survives only when its numbers, month
and weekday names and capitalised names all occur in the cited passages, and enough of its
content words do too. Trust nothing the model says that the sources do not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.llm.schema import ReplySentence
from bot.models import Passage, Verification
from bot.text.lexicon import CALENDAR_WORDS
from bot.text.words import STOPWORDS, content_stems, fold, words

MIN_CONTENT_WORDS = 3
MIN_CONTENT_SUPPORT = 0.6
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CAPITALISED = re.compile(r"\b[A-Z][\w'-]*")
# Words that start sentences or sit capitalised in prose without naming anything.
_NOT_NAMES = frozenset("however meanwhile according also both other others".split())


@dataclass
class CheckedSentence:
    text: str
    passages: list[int]
    uncited: bool = False


@dataclass
class VerificationResult:
    kept: list[CheckedSentence]
    counts: Verification
    reasons: list[str] = field(default_factory=list)


def _numbers(text: str) -> set[str]:
    found = set()
    for raw in _NUMBER.findall(text):
        plain = raw.replace(",", "")
        found.add(plain.rstrip("0").rstrip(".") if "." in plain else plain)
    return found


def _names(text: str) -> set[str]:
    """Capitalised words past the first word, folded; stop words and filler excluded."""
    names = set()
    for m in _CAPITALISED.finditer(text):
        if m.start() == 0:
            continue
        for w in words(m.group()):
            if w not in STOPWORDS and w not in _NOT_NAMES and not w.isdigit() and len(w) > 1:
                names.add(w)
    return names


class Evidence:
    """The searchable facts of the passages a sentence cites."""

    def __init__(self, passages: list[Passage]) -> None:
        text = "\n".join(f"{p.title}\n{p.source or ''}\n{p.text}" for p in passages)
        dates = " ".join(p.published_at.strftime("%d %B %A %Y") for p in passages if p.published_at)
        self.words = {fold(w) for w in words(f"{text} {dates}")}
        self.stems = set(content_stems(f"{text} {dates}"))
        self.numbers = _numbers(f"{text} {dates}")


def support_problem(sentence: str, evidence: Evidence) -> str | None:
    """Why `sentence` is not supported by `evidence`, or None when it is."""
    missing_numbers = _numbers(sentence) - evidence.numbers
    if missing_numbers:
        return f"number not in source: {sorted(missing_numbers)[0]}"
    calendar = {fold(w) for w in _CAPITALISED.findall(sentence) if fold(w) in CALENDAR_WORDS}
    calendar -= evidence.words
    if calendar:
        return f"date not in source: {sorted(calendar)[0]}"
    missing_names = _names(sentence) - evidence.words
    if missing_names:
        return f"name not in source: {sorted(missing_names)[0]}"
    stems = [s for s in content_stems(sentence) if not s.isdigit()]
    if len(stems) < MIN_CONTENT_WORDS:
        return "too little content to check"
    share = sum(1 for s in stems if s in evidence.stems) / len(stems)
    if share < MIN_CONTENT_SUPPORT:
        return f"only {share:.0%} of content words in source"
    return None


def verify_sentences(
    sentences: list[ReplySentence], passages: list[Passage], *, keep_uncited: bool = False
) -> VerificationResult:
    """`passages[i]` is passage number i+1 as numbered in the prompt."""
    counts = Verification()
    kept: list[CheckedSentence] = []
    reasons: list[str] = []
    for sentence in sentences:
        valid = [n for n in dict.fromkeys(sentence.citations) if 1 <= n <= len(passages)]
        counts.citations_removed += len(sentence.citations) - len(valid)
        if not valid:
            if keep_uncited:
                kept.append(CheckedSentence(sentence.text, [], uncited=True))
                counts.sentences_kept += 1
            else:
                counts.sentences_dropped += 1
                reasons.append(f"no valid citation: {sentence.text[:60]}")
            continue
        problem = support_problem(sentence.text, Evidence([passages[n - 1] for n in valid]))
        if problem:
            counts.sentences_dropped += 1
            reasons.append(f"{problem}: {sentence.text[:60]}")
            continue
        kept.append(CheckedSentence(sentence.text, valid))
        counts.sentences_kept += 1
    return VerificationResult(kept=kept, counts=counts, reasons=reasons)
