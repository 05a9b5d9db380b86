"""README's settings tables against bot/config.py: every BRIEFBOT_* variable is in a table
exactly once, and README names no variable that does not exist.

Tables abbreviate: `BRIEFBOT_LLM_TIMEOUT` / `_MAX_RETRIES` is BRIEFBOT_LLM_MAX_RETRIES (the
suffix replaces the tail of the row's first full name), and a table headed or introduced with
"prefix `BRIEFBOT_TELEGRAM_`" lists `_API_URL` for BRIEFBOT_TELEGRAM_API_URL.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from bot.config import iter_env_names

README = Path(__file__).resolve().parent.parent / "README.md"
NAMES = {name for _, _, name in iter_env_names()}
PREFIX = re.compile(r"prefix `(BRIEFBOT_[A-Z0-9_]*_)`")
CELL_NAME = re.compile(r"`(BRIEFBOT_[A-Z0-9_]+|_[A-Z0-9_]+)`")
MENTION = re.compile(r"\bBRIEFBOT_[A-Z0-9_]*[A-Z0-9]\b")


def _resolve(token: str, lead: str | None, prefix: str | None) -> str | None:
    if token.startswith("BRIEFBOT_"):
        return token if token in NAMES else None
    if lead is None:
        name = (prefix or "").rstrip("_") + token
        return name if prefix and name in NAMES else None
    parts = lead.split("_")
    tries = ("_".join(parts[:k]) + token for k in range(len(parts), 0, -1))
    return next((name for name in tries if name in NAMES), None)


def _table_names(lines: list[str]) -> tuple[Counter[str], list[str]]:
    documented: Counter[str] = Counter()
    unknown: list[str] = []
    prefix: str | None = None
    for number, line in enumerate(lines, 1):
        if line.startswith("## "):
            prefix = None
        if found := PREFIX.search(line):
            prefix = found.group(1)
        if not line.startswith("| ") or line.startswith("| Variable"):
            continue
        lead: str | None = None
        for token in CELL_NAME.findall(line.split("|")[1]):
            name = _resolve(token, lead, prefix)
            if token.startswith("BRIEFBOT_"):
                lead = token
            if name is None:
                unknown.append(f"line {number}: {token}")
            else:
                documented[name] += 1
    return documented, unknown


def test_every_setting_is_in_a_readme_table_once_and_none_that_does_not_exist() -> None:
    documented, unknown = _table_names(README.read_text(encoding="utf-8").splitlines())
    assert not unknown, f"README tables name variables that do not exist: {unknown}"
    assert sorted(NAMES - set(documented)) == [], "settings missing from README's tables"
    assert [name for name, n in documented.items() if n > 1] == [], "documented twice"


def test_readme_prose_names_only_existing_variables() -> None:
    text = README.read_text(encoding="utf-8")
    mentioned = {m for m in MENTION.findall(text) if "__" not in m}  # BRIEFBOT_LLM__MODEL
    assert sorted(mentioned - NAMES) == []


def test_the_abbreviations_resolve_as_readers_read_them() -> None:
    lines = [
        "| `BRIEFBOT_LLM_TIMEOUT` / `_MAX_RETRIES` | 20 / 2 | |",
        "Settings (prefix `BRIEFBOT_TELEGRAM_`):",
        "| `_API_URL` | Telegram | |",
        "| `_NO_SUCH_THING` | | |",
    ]
    documented, unknown = _table_names(lines)
    assert set(documented) == {
        "BRIEFBOT_LLM_TIMEOUT",
        "BRIEFBOT_LLM_MAX_RETRIES",
        "BRIEFBOT_TELEGRAM_API_URL",
    }
    assert unknown == ["line 4: _NO_SUCH_THING"]
