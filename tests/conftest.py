"""Shared fixtures: an isolated data dir and settings for each test."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.engine import Engine
from tests.support.postgres import pg_server, pg_url  # noqa: F401  (fixtures: PostgreSQL)
from tests.support.telegram_bot import botapi, news  # noqa: F401  (fixtures: emulator, news corpus)

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's .env, real data dir or API keys."""
    for name in list(__import__("os").environ):
        if name.startswith("BRIEFBOT_") or name in ("OPENAI_API_KEY", "TELEGRAM_BOT_TOKEN"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BRIEFBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built once per run offline (hatchling is installed)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("briefbot-*.whl")
    return built


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    eng = Engine(settings)
    yield eng
    eng.close()


@pytest.fixture
def seeded_engine(engine: Engine) -> Engine:
    engine.ensure_corpus()
    return engine
