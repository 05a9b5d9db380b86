"""Extractive answers, the compose step only: the chosen source sentences, each cited.

Which sentences, and whether to answer at all, is decided before (`bot.answer.evidence`,
`bot.answer.pipeline`). The lead sentence (the one holding the answer) comes first; the
others follow grouped by article, in the order they appear in it. When evidence selection
found the answer itself (`Evidence.line`: "Bad Bunny", "9 years"), it leads as its own short
line, citing the passage or title it is written in.
"""

from __future__ import annotations

from bot.answer.citations import SourceBook, answer_text
from bot.answer.evidence import Evidence
from bot.models import Answer, AnswerSentence


def compose_extractive(question: str, evidence: Evidence) -> Answer:
    lead, *rest = evidence.sentences
    article_order = {lead.passage.article_id: 0}
    for s in rest:
        article_order.setdefault(s.passage.article_id, len(article_order))
    rest.sort(key=lambda s: (article_order[s.passage.article_id], s.position))
    book = SourceBook()
    line = evidence.line
    head = (
        [AnswerSentence(text=line.text, citations=[book.cite(line.passage)], answer_line=True)]
        if line is not None
        else []
    )
    sentences = head + [
        AnswerSentence(text=s.text, citations=[book.cite(s.passage)]) for s in [lead, *rest]
    ]
    return Answer(
        question=question,
        answer=answer_text(sentences),
        abstained=False,
        mode="extractive",
        sentences=sentences,
        sources=book.sources(),
    )
