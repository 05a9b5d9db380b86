"""The pipeline's layering, read from the source: the store imports nothing above it, SQL
lives only under bot/store/, and the CLI and Telegram reach the database only through the
engine and its services."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"

# What bot/store/ may import from the package: itself and the layers below it.
STORE_MAY_IMPORT = ("bot.store", "bot.models", "bot.errors", "bot.text")
# What the delivery layers may import from bot/store/ (time helpers and error types).
DELIVERY_MAY_IMPORT_FROM_STORE = ("bot.store.timefmt", "bot.store.errors")
DRIVERS = ("sqlite3", "psycopg", "psycopg_pool", "pgvector")
SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM"
    r"|CREATE\s+(TABLE|INDEX)|PRAGMA\s)",
    re.IGNORECASE | re.DOTALL,
)


def _modules(under: Path) -> list[Path]:
    return sorted(under.rglob("*.py"))


def _name(path: Path) -> str:
    rel = path.relative_to(BOT.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _runtime_imports(tree: ast.Module, module: str) -> Iterator[tuple[int, str]]:
    """Imported module names, leaving out `if TYPE_CHECKING:` blocks."""
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                type_only.update(id(n) for n in ast.walk(child))
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.rsplit(".", node.level)[0]
                yield node.lineno, f"{base}.{node.module}" if node.module else base
            else:
                yield node.lineno, node.module or ""


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("path", _modules(BOT / "store"), ids=_name)
def test_store_imports_nothing_above_it(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    upward = [
        f"line {line}: {name}"
        for line, name in _runtime_imports(tree, _name(path))
        if name.startswith("bot") and not _within(name, STORE_MAY_IMPORT)
    ]
    assert not upward, f"{_name(path)} imports above the store: {upward}"


def _outside_store() -> list[Path]:
    return [p for p in _modules(BOT) if "store" not in p.relative_to(BOT).parts[:1]]


@pytest.mark.parametrize("path", _outside_store(), ids=_name)
def test_no_sql_or_driver_outside_the_store(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    problems = [
        f"line {line}: imports {name}"
        for line, name in _runtime_imports(tree, _name(path))
        if _within(name, DRIVERS)
    ]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("execute", "executemany", "executescript"):
                problems.append(f"line {node.lineno}: .{node.func.attr}(…)")
            if node.func.attr == "query" and ast.unparse(node.func.value).endswith("db"):
                problems.append(f"line {node.lineno}: db.query(…)")
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and SQL.search(node.value)
        ):
            problems.append(f"line {node.lineno}: SQL text {node.value[:60]!r}")
        if isinstance(node, ast.Attribute) and node.attr == "db":
            problems.append(f"line {node.lineno}: reaches .db")
    assert not problems, f"{_name(path)}: {problems}"


@pytest.mark.parametrize("path", _modules(BOT / "cli") + _modules(BOT / "telegram"), ids=_name)
def test_cli_and_telegram_go_through_the_engine(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    direct = [
        f"line {line}: {name}"
        for line, name in _runtime_imports(tree, _name(path))
        if _within(name, ("bot.store",)) and not _within(name, DELIVERY_MAY_IMPORT_FROM_STORE)
    ]
    assert not direct, f"{_name(path)} imports the store directly: {direct}"


def _core() -> list[Path]:
    """Everything but the two delivery layers."""
    return [p for p in _modules(BOT) if p.relative_to(BOT).parts[0] not in ("cli", "telegram")]


@pytest.mark.parametrize("path", _core(), ids=_name)
def test_the_core_never_imports_telegram(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [
        f"line {line}: {name}"
        for line, name in _runtime_imports(tree, _name(path))
        if _within(name, ("telegram", "bot.telegram"))
    ]
    assert not found, f"{_name(path)} imports Telegram: {found}"


def test_the_checks_see_what_they_forbid() -> None:
    """The detectors catch a plain upward import, a query call and SQL text."""
    sample = ast.parse(
        "from bot.retrieval.bm25 import Retriever\n"
        "import sqlite3\n"
        "rows = engine.store.db.query('SELECT id FROM articles WHERE id = ?', (1,))\n"
    )
    names = [name for _, name in _runtime_imports(sample, "bot.store.x")]
    assert "bot.retrieval.bm25" in names and "sqlite3" in names
    assert any(
        isinstance(n, ast.Constant) and isinstance(n.value, str) and SQL.search(n.value)
        for n in ast.walk(sample)
    )
    guarded = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import bot.cli\n")
    assert "bot.cli" not in [name for _, name in _runtime_imports(guarded, "bot.store.x")]
