"""The reply schema the model is asked for, and a tolerant parser of the same schema.

Servers with JSON-schema output return it directly; local servers without JSON mode return
prose, fenced JSON or JSON with chatter around it. Every path ends in the same `LLMReply`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from bot.text.sentences import split_sentences


class ReplySentence(BaseModel):
    text: str
    citations: list[int] = Field(default_factory=list)


class LLMReply(BaseModel):
    sentences: list[ReplySentence] = Field(default_factory=list)
    not_in_sources: bool = False


class ReplyParseError(ValueError):
    """The reply is empty or carries no usable sentence."""


_MARKER = re.compile(r"\[(\d{1,3})\]")
_MARKERS_RUN = re.compile(r"\s*(?:\[\d{1,3}\]\s*)+")
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)
_NOT_IN_SOURCES = re.compile(
    r"not in (?:the )?sources|(?:sources|passages) do not (?:contain|mention|say)"
    r"|no (?:information|mention) (?:about|of|on) (?:this|that|it) in the (?:sources|passages)",
    re.IGNORECASE,
)


SENTENCE_CHARS = 300
MAX_CITATIONS = 3
SCHEMA_MAX_SENTENCES = 10
SCHEMA_MAX_PASSAGES = 50


# What the JSON around the sentence texts may cost, pretty-printed as small models do
# (keys, indentation, one citation per line): per reply and per sentence.
JSON_BASE_TOKENS = 20
JSON_SENTENCE_TOKENS = 30
CHARS_PER_TOKEN = 3  # a cautious average for English prose, punctuation and JSON escapes


def sentence_chars(max_tokens: int, max_sentences: int) -> int:
    """The longest sentence text that lets `max_sentences` of them fit in `max_tokens`."""
    n = max(1, max_sentences)
    room = (max_tokens - JSON_BASE_TOKENS - JSON_SENTENCE_TOKENS * n) * CHARS_PER_TOKEN // n
    return max(40, min(SENTENCE_CHARS, room))


def json_schema(
    max_sentences: int = SCHEMA_MAX_SENTENCES,
    passages: int = SCHEMA_MAX_PASSAGES,
    max_chars: int = SENTENCE_CHARS,
) -> dict[str, Any]:
    """The `response_format` for servers that support structured output.

    Every array and string is bounded and citations are integers in 1..passages, so a
    server that compiles the schema into a grammar (llama.cpp, vLLM) must close the JSON
    within the reply's token budget instead of rambling inside a string until it is cut
    (`max_chars` per sentence: see `sentence_chars`).
    """
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "cited_answer",
            "strict": True,
            "schema": {
                "type": "object",
                "additionalProperties": False,
                "required": ["sentences", "not_in_sources"],
                "properties": {
                    "sentences": {
                        "type": "array",
                        "maxItems": max(1, max_sentences),
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["text", "citations"],
                            "properties": {
                                "text": {
                                    "type": "string",
                                    "minLength": 1,
                                    "maxLength": max_chars,
                                },
                                "citations": {
                                    "type": "array",
                                    "minItems": 1,
                                    "maxItems": MAX_CITATIONS,
                                    "items": {
                                        "type": "integer",
                                        "minimum": 1,
                                        "maximum": max(1, passages),
                                    },
                                },
                            },
                        },
                    },
                    "not_in_sources": {"type": "boolean"},
                },
            },
        },
    }


def parse_reply(content: str | None) -> LLMReply:
    """JSON of the schema if there is any in `content`, else cited prose; raises when empty."""
    text = (content or "").strip()
    if not text:
        raise ReplyParseError("empty reply")
    reply = _from_json(text)
    if reply is None:
        if text.startswith(("{", "[")):
            raise ReplyParseError("invalid JSON reply")
        reply = _from_prose(text)
    reply = _normalised(reply)
    if not reply.sentences and not reply.not_in_sources:
        raise ReplyParseError("reply has no sentences")
    return reply


def _from_json(text: str) -> LLMReply | None:
    candidates = [text, *(m.group(1) for m in _FENCE.finditer(text))]
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        try:
            reply = _coerce(data)
        except (ValidationError, TypeError, ValueError):
            continue
        if reply.sentences or reply.not_in_sources:
            return reply
        if isinstance(data, dict) and "sentences" in data:
            return reply
    return None


def _coerce(data: Any) -> LLMReply:
    """Accept the schema plus common drifts: a bare list, `answer` prose, string citations."""
    if isinstance(data, list):
        data = {"sentences": data}
    if not isinstance(data, dict):
        raise TypeError("not an object")
    if "sentences" not in data and isinstance(data.get("answer"), str):
        prose = _from_prose(data["answer"])
        prose.not_in_sources = bool(data.get("not_in_sources", prose.not_in_sources))
        return prose
    sentences = []
    for item in data.get("sentences") or []:
        if isinstance(item, str):
            sentences.extend(_from_prose(item).sentences)
            continue
        cites = item.get("citations", []) if isinstance(item, dict) else []
        if isinstance(cites, int | str):
            cites = [cites]
        numbers = [int(str(c).strip("[] ")) for c in cites if str(c).strip("[] ").isdigit()]
        sentences.append(ReplySentence(text=str(item.get("text", "")), citations=numbers))
    return LLMReply(sentences=sentences, not_in_sources=bool(data.get("not_in_sources", False)))


def _from_prose(text: str) -> LLMReply:
    """Sentences with their trailing `[n]` markers; markers before a period count too."""
    if _NOT_IN_SOURCES.search(text) and not _MARKER.search(text):
        return LLMReply(not_in_sources=True)
    sentences = []
    for raw in split_sentences(text):
        cites = [int(n) for n in _MARKER.findall(raw)]
        sentences.append(ReplySentence(text=raw, citations=cites))
    return LLMReply(sentences=sentences)


def _normalised(reply: LLMReply) -> LLMReply:
    """Markers move out of the text into `citations`; empty sentences go."""
    out = []
    for s in reply.sentences:
        cites = list(dict.fromkeys([*s.citations, *(int(n) for n in _MARKER.findall(s.text))]))
        text = strip_markers(s.text)
        if text:
            out.append(ReplySentence(text=text, citations=cites))
    return LLMReply(sentences=out, not_in_sources=reply.not_in_sources)


def draft_text(partial_json: str) -> str:
    """The sentence texts readable so far in a streamed JSON reply (for live drafts).

    The text grows monotonically as chunks arrive: an unfinished string is shown up to its
    last complete character, never past an unclosed `[` marker or a half escape.
    """
    parts = [_decode(raw) for raw in _DONE_TEXT.findall(partial_json)]
    tail = _OPEN_TEXT.search(partial_json)
    if tail is not None:
        raw = tail.group(1)
        raw = raw[: raw.rfind("[")] if raw.rfind("[") > raw.rfind("]") else raw
        raw = re.sub(r"\\(u[0-9a-fA-F]{0,3})?$", "", raw)
        parts.append(_decode(raw).rstrip())
    return " ".join(p for p in (strip_markers(x) for x in parts) if p)


_DONE_TEXT = re.compile(r'"text"\s*:\s*"((?:[^"\\]|\\.)*)"')
_OPEN_TEXT = re.compile(r'"text"\s*:\s*"((?:[^"\\]|\\.)*\\?)$')


def _decode(raw: str) -> str:
    try:
        return str(json.loads(f'"{raw}"'))
    except ValueError:
        return raw


def prose_draft(partial: str) -> str:
    """A streamed plain-text reply so far, markers hidden, growing monotonically."""
    if partial.rfind("[") > partial.rfind("]"):
        partial = partial[: partial.rfind("[")]
    return strip_markers(partial).rstrip()


def strip_markers(text: str) -> str:
    """`text` without `[n]` markers, punctuation re-attached."""
    return re.sub(r"\s+([.!?,;:])", r"\1", _MARKERS_RUN.sub(" ", text)).strip()
