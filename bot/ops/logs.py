"""Log setup for the running bot: text or JSON lines, secrets redacted, chat ids hashed.

In JSON mode the ids of chats and users never reach the log as they are: an argument that
follows "chat " or "user " in a message ("briefing sent to chat %s"), and the `chat_id` /
`user_id` extras, become a keyed hash (HMAC-SHA256 with a key derived from the bot token), so
one chat's lines can still be followed across restarts and instances, but ids cannot be
recovered without the token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdrifx%]")
_ID_BEFORE = re.compile(r"\b(chat|user)\s*(?:id\s*)?[=:]?\s*$", re.IGNORECASE)
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RedactSecrets(logging.Filter):
    """Replace secrets in every log record (httpx logs request URLs, which hold the token)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(s in message for s in self.secrets):
            record.msg, record.args = self.redact(message), None
        return True


class IdHasher:
    def __init__(self, key: str) -> None:
        self.key = hashlib.sha256(("briefbot-log-ids:" + key).encode()).digest()

    def __call__(self, value: object) -> str:
        digest = hmac.new(self.key, str(value).encode(), hashlib.sha256).hexdigest()
        return "h:" + digest[:16]


def _is_id(value: object) -> bool:
    return isinstance(value, int) or (isinstance(value, str) and value.lstrip("-").isdigit())


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, extras, exception."""

    def __init__(self, hasher: IdHasher, redact: RedactSecrets) -> None:
        super().__init__()
        self.hasher = hasher
        self.redact = redact

    def _hashed_args(self, record: logging.LogRecord) -> tuple[Any, ...] | None:
        args = record.args
        if not isinstance(args, tuple) or not args or not isinstance(record.msg, str):
            return None
        hashed = list(args)
        position = 0
        for match in _PLACEHOLDER.finditer(record.msg):
            if match.group() == "%%":
                continue
            follows_id_word = _ID_BEFORE.search(record.msg[: match.start()]) is not None
            if position < len(hashed) and follows_id_word and _is_id(hashed[position]):
                hashed[position] = self.hasher(hashed[position])
            position += 1
        return tuple(hashed)

    def format(self, record: logging.LogRecord) -> str:
        args = self._hashed_args(record)
        message = (record.msg % args) if args is not None else record.getMessage()
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key.startswith("_"):
                continue
            entry[key] = self.hasher(value) if key in ("chat_id", "user_id") else value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self.redact.redact(json.dumps(entry, ensure_ascii=False, default=str))


class RedactingFormatter(logging.Formatter):
    """The text format, with secrets removed from tracebacks too."""

    def __init__(self, redact: RedactSecrets) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self.redact.redact(super().format(record))


def configure_logging(
    log_format: str, secrets: list[str], *, hash_key: str = "", verbose: bool = False
) -> None:
    """Replace the root handlers with one stderr handler in the chosen format."""
    redact = RedactSecrets(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(redact)
    if log_format == "json":
        handler.setFormatter(JsonFormatter(IdHasher(hash_key), redact))
    else:
        handler.setFormatter(RedactingFormatter(redact))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logging.getLogger("briefbot").setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("bot").setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
