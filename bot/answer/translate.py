"""An answer in the reader's language: its verified sentences translated one for one.

Verification runs on the source-language answer (it compares words with the passages);
the translation is checked afterwards for what can be checked across languages: the same
sentences, one each, and every number of a sentence still in its translation. Citations are
the verified ones, never the model's. Any failure returns None (the caller keeps the original).
"""

from __future__ import annotations

import asyncio
import logging
import re

from bot.answer.citations import answer_text
from bot.answer.language import name
from bot.answer.packing import defuse
from bot.config import Settings
from bot.llm.client import LLMClient, LLMFailure
from bot.llm.prompts import Prompts
from bot.llm.schema import ReplyParseError, parse_reply
from bot.models import Answer, AnswerSentence

log = logging.getLogger(__name__)

PROMPT = "translate.md"
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "").replace(".", "") for n in _NUMBER.findall(text)}


async def translate_answer(
    answer: Answer, language: str, settings: Settings, client: LLMClient, prompts: Prompts
) -> Answer | None:
    """`answer` with each sentence in `language` (ISO 639-1), or None when that failed."""
    blocks = "\n\n".join(
        f"<<<SENTENCE {i}>>>\n{defuse(s.text)}\n<<<END SENTENCE {i}>>>"
        for i, s in enumerate(answer.sentences, 1)
    )
    prompt = prompts.render(PROMPT, language=name(language), sentences=blocks)
    try:
        async with asyncio.timeout(settings.llm.deadline):
            completion = await client.complete(lambda _json: [{"role": "user", "content": prompt}])
        reply = parse_reply(completion.content)
    except (TimeoutError, LLMFailure, ReplyParseError) as exc:
        log.info("translation to %s failed: %s", language, exc)
        return None
    by_number: dict[int, str] = {}
    for s in reply.sentences:
        if len(s.citations) == 1 and s.text.strip():
            by_number.setdefault(s.citations[0], s.text.strip())
    translated = []
    for i, original in enumerate(answer.sentences, 1):
        text = by_number.get(i)
        if text is None or not _numbers(original.text) <= _numbers(text):
            log.info("translation to %s lost sentence %d or its numbers", language, i)
            return None
        translated.append(AnswerSentence(text=text, citations=original.citations))
    return answer.model_copy(
        update={"sentences": translated, "answer": answer_text(translated), "language": language}
    )
