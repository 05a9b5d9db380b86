"""The optional second check: the same endpoint judges each sentence the offline checks kept.

Off by default (`llm_verify = "model"` turns it on). One extra call per answer, its tokens
added to the answer's usage and shown in `verification.model_check_tokens`. A sentence the
model calls contradicted or not stated is dropped; a sentence it gives no verdict keeps the
offline checks' word. If the call fails, the offline result stands and the reason is noted.
"""

from __future__ import annotations

import json
from typing import Any

from bot.answer.packing import defuse, passage_block
from bot.answer.verify import VerificationResult
from bot.llm.client import LLMClient, LLMFailure
from bot.llm.prompts import Prompts
from bot.models import DroppedSentence, Passage

VERDICTS = ("entailed", "contradicted", "not_stated")
TOKENS_PER_VERDICT = 25


def judge_schema(sentences: int) -> dict[str, Any]:
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "verdicts",
            "strict": True,
            "schema": {
                "type": "object",
                "additionalProperties": False,
                "required": ["verdicts"],
                "properties": {
                    "verdicts": {
                        "type": "array",
                        "maxItems": sentences,
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["sentence", "verdict"],
                            "properties": {
                                "sentence": {"type": "integer", "minimum": 1, "maximum": sentences},
                                "verdict": {"type": "string", "enum": list(VERDICTS)},
                            },
                        },
                    }
                },
            },
        },
    }


def _verdicts(content: str, sentences: int) -> dict[int, str]:
    start, end = content.find("{"), content.rfind("}")
    try:
        data = json.loads(content[start : end + 1]) if start != -1 else {}
    except ValueError:
        return {}
    found: dict[int, str] = {}
    for item in data.get("verdicts", []) if isinstance(data, dict) else []:
        if not isinstance(item, dict):
            continue
        n, verdict = item.get("sentence"), item.get("verdict")
        if isinstance(n, int) and 1 <= n <= sentences and verdict in VERDICTS:
            found.setdefault(n, verdict)
    return found


async def judge_sentences(
    client: LLMClient, prompts: Prompts, checked: VerificationResult, passages: list[Passage]
) -> tuple[int, int]:
    """Drop from `checked` what the model does not find entailed; returns the tokens spent
    (prompt, completion)."""
    kept = [s for s in checked.kept if not s.uncited]
    if not kept:
        return 0, 0
    cited = sorted({n for s in kept for n in s.passages})
    blocks = "\n\n".join(passage_block(n, passages[n - 1]) for n in cited)
    lines = "\n".join(
        f"{i}. {defuse(s.text)} " + "".join(f"[{n}]" for n in s.passages)
        for i, s in enumerate(kept, 1)
    )
    prompt = prompts.render("judge", passages=blocks, sentences=lines)
    try:
        reply = await client.complete(
            lambda _json: [{"role": "user", "content": prompt}],
            schema=judge_schema(len(kept)),
            max_tokens=20 + TOKENS_PER_VERDICT * len(kept),
        )
    except LLMFailure as exc:
        checked.counts.model_check = f"failed: {exc.reason}"
        return 0, 0
    verdicts = _verdicts(reply.content, len(kept))
    checked.counts.model_check = f"{len(verdicts)} of {len(kept)} judged"
    checked.counts.model_check_tokens = reply.prompt_tokens + reply.completion_tokens
    for i, sentence in enumerate(kept, 1):
        verdict = verdicts.get(i, "entailed")
        if verdict == "entailed":
            continue
        checked.kept.remove(sentence)
        checked.counts.sentences_kept -= 1
        checked.counts.sentences_dropped += 1
        checked.counts.dropped.append(
            DroppedSentence(text=sentence.text[:200], reason=f"model_{verdict}", detail=verdict)
        )
    return reply.prompt_tokens, reply.completion_tokens
