"""An answer in the reader's language: its verified sentences translated one for one.

Verification runs on the source-language answer (it compares words with the passages);
the translation is checked afterwards for what can be checked across languages: the same
sentences, one each, and every number of a sentence still in its translation. Citations are
the verified ones, never the model's.

The call is accounted like the answer's: the chat's and everyone's daily allowances are
checked first, the tokens go to the usage ledger under the chat (purpose `translation`)
and into the answer's `usage` whatever the outcome, and it runs within what is left of the
answer's own deadline. Any failure keeps the original answer, with a note saying so.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime
from typing import TYPE_CHECKING

from bot.answer.budget import PER_CHAT, TOTAL, spent_allowance
from bot.answer.citations import answer_text
from bot.answer.language import name
from bot.answer.packing import defuse
from bot.config import Settings
from bot.llm.prompts import Prompts
from bot.llm.schema import LLMReply, ReplyParseError, json_schema, parse_reply
from bot.models import Answer, Usage
from bot.store.usage import UsageRepository

if TYPE_CHECKING:
    from bot.llm.client import LLMClient

log = logging.getLogger(__name__)

PROMPT = "translate.md"
PURPOSE = "translation"
TRANSLATION_MIN_CHARS = 80
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WHY_NOT = {
    PER_CHAT: "This chat has used today's allowance for AI-written text, so it is not translated",
    TOTAL: "The bot has used today's allowance for AI-written text, so it is not translated",
}


def untranslated(answer: Answer, source: str, reason: str | None = None) -> Answer:
    """`answer` as it is, with a note that it is in the sources' language (and why)."""
    quoted = f"Quoted from the sources in {name(source)}"
    if answer.mode != "llm":
        quoted += "; translating needs an AI model"
    why = _WHY_NOT.get(reason or "")
    note = f"{why}. {quoted}." if why else f"{quoted}."
    return answer.model_copy(update={"note": f"{answer.note} {note}" if answer.note else note})


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "").replace(".", "") for n in _NUMBER.findall(text)}


async def translate_answer(
    answer: Answer,
    language: str,
    *,
    settings: Settings,
    client: LLMClient,
    prompts: Prompts,
    usage: UsageRepository,
    chat_id: str | None,
    now: datetime,
    deadline: float,
) -> Answer:
    """`answer` with each sentence in `language` (ISO 639-1), else the original with a note;
    `deadline` is the event loop's time by which the whole answer must be done."""
    from bot.llm.client import LLMFailure  # imports openai: only when a model is called

    source = answer.language or "en"
    spent = spent_allowance(settings, usage, chat_id, now)
    if spent is not None:
        log.info("translation to %s skipped: %s", language, spent)
        return untranslated(answer, source, spent)
    if deadline <= asyncio.get_running_loop().time():
        log.info("translation to %s skipped: no time left", language)
        return untranslated(answer, source, "deadline")
    count = len(answer.sentences)
    blocks = "\n\n".join(
        f"<<<SENTENCE {i}>>>\n{defuse(s.text)}\n<<<END SENTENCE {i}>>>"
        for i, s in enumerate(answer.sentences, 1)
    )
    prompt = prompts.render(PROMPT, language=name(language), sentences=blocks)
    # a translation may run longer than its original, never without bound
    longest = max(len(s.text) for s in answer.sentences)
    schema = json_schema(count, count, max(2 * longest, TRANSLATION_MIN_CHARS))
    tokens = (0, 0)
    reason: str | None = None
    translated: Answer | None = None
    try:
        async with asyncio.timeout_at(deadline):
            completion = await client.complete(
                lambda _json: [{"role": "user", "content": prompt}], schema=schema
            )
        tokens = (completion.prompt_tokens, completion.completion_tokens)
        translated = _matched(answer, parse_reply(completion.content), language)
        if translated is None:
            reason = "translation_incomplete"
    except TimeoutError:
        reason = "deadline"
    except LLMFailure as exc:
        reason = exc.reason
    except ReplyParseError:
        reason = "invalid_reply"
    if reason is not None:
        log.info("translation to %s failed: %s", language, reason)
    usage.record(
        chat_id,
        mode=PURPOSE,
        prompt_tokens=tokens[0],
        completion_tokens=tokens[1],
        fallback_reason=reason,
        now=now,
    )
    result = translated or untranslated(answer, source, reason)
    spent_before = answer.usage or Usage()
    return result.model_copy(
        update={
            "usage": Usage(
                prompt_tokens=spent_before.prompt_tokens + tokens[0],
                completion_tokens=spent_before.completion_tokens + tokens[1],
            )
        }
    )


def _matched(answer: Answer, reply: LLMReply, language: str) -> Answer | None:
    """The answer with the reply's sentences, when every one came back with its numbers."""
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
        translated.append(original.model_copy(update={"text": text}))
    return answer.model_copy(
        update={"sentences": translated, "answer": answer_text(translated), "language": language}
    )
