"""Numbering sources and writing `[n]` markers, shared by extractive and LLM answers."""

from __future__ import annotations

from bot.models import AnswerSentence, Passage, SourceRef
from bot.text.normalize import http_url


class SourceBook:
    """Assigns citation numbers to articles in order of first use; n is 1-based."""

    def __init__(self) -> None:
        self._numbers: dict[int, int] = {}
        self._refs: list[SourceRef] = []
        self._quotes: dict[int, list[str]] = {}

    def cite(self, passage: Passage) -> int:
        n = self._numbers.get(passage.article_id)
        if n is None:
            n = len(self._refs) + 1
            self._numbers[passage.article_id] = n
            self._quotes[n] = []
            self._refs.append(
                SourceRef(
                    n=n,
                    article_id=passage.article_id,
                    title=passage.title,
                    url=passage.url,
                    source=passage.source,
                    published_at=passage.published_at,
                    quote="",
                )
            )
        if passage.text not in self._quotes[n]:
            self._quotes[n].append(passage.text)
        return n

    def sources(self) -> list[SourceRef]:
        return [
            ref.model_copy(update={"quote": " … ".join(self._quotes[ref.n])}) for ref in self._refs
        ]


def with_markers(sentence: AnswerSentence) -> str:
    markers = "".join(f"[{n}]" for n in sentence.citations)
    return f"{sentence.text} {markers}" if markers else sentence.text


def answer_text(sentences: list[AnswerSentence]) -> str:
    """The sentences with their markers; an answer line stands on its own line."""
    if sentences and sentences[0].answer_line:
        rest = answer_text(sentences[1:])
        return f"{with_markers(sentences[0])}\n{rest}" if rest else with_markers(sentences[0])
    return " ".join(with_markers(s) for s in sentences)


def abstention_text(question: str) -> str:
    topic = " ".join(question.split()).rstrip("?!. ")
    return f"I couldn't find anything about “{topic}” in the corpus."


def source_text(ref: SourceRef) -> str:
    """A sources-list entry as plain text (CLI answers and briefings):
    `[n] title · source · date`, then the URL and other outlets on indented lines."""
    parts = [ref.title] + ([ref.source] if ref.source else [])
    if ref.published_at:
        parts.append(ref.published_at.date().isoformat())
    line = f"[{ref.n}] " + " · ".join(parts)
    if http_url(ref.url):
        line += f"\n    {ref.url}"
    if ref.also_reported_by:
        line += "\n    also reported by: " + ", ".join(ref.also_reported_by)
    return line
