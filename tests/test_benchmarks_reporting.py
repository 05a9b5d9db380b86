"""Benchmarks rewrite only their own section of docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path

from benchmarks.reporting import machine, write_section

DOC = "# Benchmarks\n\n## A\n\nold a\n\n## B\n\nold b\n"


def test_a_section_is_replaced_in_place_and_a_new_one_appended(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    path.write_text(DOC, encoding="utf-8")
    write_section("## A", "## A\n\nnew a\n", path)
    assert path.read_text(encoding="utf-8") == "# Benchmarks\n\n## A\n\nnew a\n## B\n\nold b\n"
    write_section("## B", "## B\n\nnew b\n", path)
    write_section("## C", "## C\n\nnew c\n", path)
    text = path.read_text(encoding="utf-8")
    assert text.endswith("## B\n\nnew b\n\n## C\n\nnew c\n") and "new a" in text


def test_the_machine_line_names_cores_and_python() -> None:
    line = machine()
    assert " cores, load average " in line and ", Python 3." in line
