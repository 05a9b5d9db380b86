"""A built wheel carries the seeds and prompts, and works away from the source tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from corpus_helpers import REPO


@pytest.fixture(scope="module")
def wheel(built_wheel: Path) -> Path:
    return built_wheel


def test_wheel_contains_package_seeds_and_prompts(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    seeds = [n for n in names if n.startswith("bot/_data/seeds/") and n.endswith(".txt")]
    assert seeds, names
    repo_seeds = sorted(p.name for p in (REPO / "seeds").glob("*.txt"))
    assert sorted(Path(n).name for n in seeds) == repo_seeds
    assert any(n.startswith("bot/_data/prompts/") for n in names)
    assert "bot/_data/prompts/briefing.md" in names, "LLM briefings need their prompt"
    for module in ("bot/__main__.py", "bot/cli/__init__.py", "bot/store/migrations.py"):
        assert module in names
    assert "bot/answer/data/places.json" in names, "typed answers need the place names"
    assert not any(n.startswith("tests/") for n in names)


def test_wheel_seed_is_the_repo_seed_unchanged(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    for path in (REPO / "seeds").glob("*.txt"):
        assert archive.read(f"bot/_data/seeds/{path.name}") == path.read_bytes()


def test_wheel_declares_the_console_script(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    (entry_points,) = [n for n in archive.namelist() if n.endswith("entry_points.txt")]
    text = archive.read(entry_points).decode()
    assert "[console_scripts]" in text
    assert "briefbot = bot.cli:main" in text


def test_unpacked_wheel_answers_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    """What `pip install .` puts on sys.path, run from a directory with no source tree."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.update(PYTHONPATH=str(site), BRIEFBOT_DATA_DIR=str(tmp_path / "data"))
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "What hit Ain al-Asad?", "--json"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert str(site / "bot" / "_data" / "seeds") in result.stderr
    answer = json.loads(result.stdout)
    assert "drones and missiles" in answer["answer"]
