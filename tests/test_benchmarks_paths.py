"""Benchmarks find the shared corpora relative to the repository (`../shared/corpora`), so
they run from any clone or worktree; no script names an absolute path."""

from __future__ import annotations

import re
from pathlib import Path

from benchmarks.corpora import BBC, CORPORA, RSS

REPO = Path(__file__).resolve().parent.parent


def test_corpora_are_beside_the_repository() -> None:
    assert REPO.parent / "shared" / "corpora" == CORPORA
    assert {RSS.parent, BBC.parent} == {CORPORA}


def test_no_benchmark_names_an_absolute_corpus_path() -> None:
    absolute = re.compile(r"""["'](/[^"']*corpora[^"']*)["']""")
    found = {
        f"{path.name}: {m.group(1)}"
        for path in (REPO / "benchmarks").glob("*.py")
        for m in absolute.finditer(path.read_text(encoding="utf-8"))
    }
    assert not found
