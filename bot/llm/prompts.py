"""Prompt templates read from files at run time; an operator folder overrides the bundled one."""

from __future__ import annotations

from pathlib import Path
from string import Template

from bot.errors import BriefbotError
from bot.resources import bundled_dir


class Prompts:
    """Loads `<name>.txt` from the override folder when it has one, else from `prompts/`."""

    def __init__(self, override: Path | None = None) -> None:
        self.override = Path(override).expanduser() if override else None
        self._cache: dict[str, Template] = {}

    def _path(self, name: str) -> Path:
        if self.override is not None:
            candidate = self.override / f"{name}.txt"
            if candidate.is_file():
                return candidate
        return bundled_dir("prompts") / f"{name}.txt"

    def template(self, name: str) -> Template:
        if name not in self._cache:
            path = self._path(name)
            try:
                self._cache[name] = Template(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise BriefbotError(f"cannot read prompt template {path}: {exc}") from exc
        return self._cache[name]

    def render(self, name: str, **values: object) -> str:
        """Fill `$placeholders`; values are inserted verbatim, never re-interpreted."""
        try:
            return self.template(name).substitute({k: str(v) for k, v in values.items()})
        except (KeyError, ValueError) as exc:
            raise BriefbotError(f"prompt template {name!r} has a bad placeholder: {exc}") from exc
