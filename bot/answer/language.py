"""Which language a text is in (py3langid, offline), for answering in the reader's language.

The model (68 MB once decompressed) loads on first use, about a second: only the bot and
LLM answers pay it, never a cold extractive `briefbot ask`. Short texts are guessed badly
("Gaza hospital" comes out Swahili), so a guess needs a few words and a clear margin.
"""

from __future__ import annotations

import threading
from typing import Any

MIN_WORDS = 3
MIN_CONFIDENCE = 0.5
NAMES = {
    "ar": "Arabic", "de": "German", "en": "English", "es": "Spanish", "fa": "Persian",
    "fr": "French", "he": "Hebrew", "hi": "Hindi", "it": "Italian", "ja": "Japanese",
    "ko": "Korean", "nl": "Dutch", "pl": "Polish", "pt": "Portuguese", "ru": "Russian",
    "sv": "Swedish", "tr": "Turkish", "uk": "Ukrainian", "zh": "Chinese",
}  # fmt: skip

_lock = threading.Lock()
_identifier: Any = None


def _model() -> Any:
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return _identifier


def detect(text: str) -> str | None:
    """ISO 639-1 code of `text`, or None when it is too short or the guess is unsure."""
    if len(text.split()) < MIN_WORDS:
        return None
    code, confidence = _model().classify(text)
    return str(code) if confidence >= MIN_CONFIDENCE else None


def normalize(code: str | None) -> str | None:
    """ "de-CH" / "pt-br" / "EN" → "de" / "pt" / "en"; None for empty or odd values."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if base.isalpha() and 2 <= len(base) <= 3 else None


def name(code: str) -> str:
    return NAMES.get(code, code)
