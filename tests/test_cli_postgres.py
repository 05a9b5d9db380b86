"""The CLI with BRIEFBOT_DATABASE_URL set behaves as on SQLite: the same output for the same
commands (ingest, ask, brief, feeds, subscriptions, stats), command by command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.corpus_helpers import main_in_process

FIXTURES = Path(__file__).resolve().parent / "fixtures"

COMMANDS: list[list[str]] = [
    ["ingest", str(FIXTURES / "briefing_day.jsonl"), "--json"],
    ["ask", "What struck the al-Ahli Arab hospital?", "--json"],
    ["ask", "Who won the 2018 World Cup?", "--json"],
    ["brief", "--date", "2023-10-17", "--json"],
    ["feeds", "add", "https://example.com/rss", "--name", "Example"],
    ["feeds", "list", "--json"],
    ["subscriptions", "add", "-1001", "08:00", "Europe/Berlin", "harbour"],
    ["subscriptions", "list", "--json"],
    ["subscriptions", "pause", "-1001"],
    ["stats", "--json"],
]
VOLATILE = ("generated_at", "added_at", "next_poll_at", "created_at", "updated_at", "db_bytes")


def _stable(out: str) -> object:
    """JSON output without the fields that differ run to run (times, sizes)."""
    try:
        data = json.loads(out)
    except json.JSONDecodeError:
        return out.split("; next:")[0]

    def strip(value: object) -> object:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in VOLATILE}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(data)


def test_the_cli_gives_the_same_output_on_both_backends(
    tmp_path: Path,
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    outputs: dict[str, list[object]] = {}
    for backend, url in (("sqlite", None), ("postgresql", pg_url)):
        if url:
            monkeypatch.setenv("BRIEFBOT_DATABASE_URL", url)
        data = str(tmp_path / backend)
        outputs[backend] = []
        for command in COMMANDS:
            code, out, err = main_in_process(capsys, *command, "--data-dir", data)
            assert code == 0, (backend, command, err)
            outputs[backend].append(_stable(out))
    for command, lite, pg in zip(COMMANDS, outputs["sqlite"], outputs["postgresql"], strict=True):
        assert lite == pg, command
    answer = outputs["postgresql"][1]
    assert isinstance(answer, dict) and not answer["abstained"]
    assert "explosion struck the al-Ahli Arab hospital" in str(answer["answer"])
    briefing = outputs["postgresql"][3]
    assert isinstance(briefing, dict) and len(briefing["stories"]) >= 3


def test_doctor_reads_the_postgresql_store(
    tmp_path: Path,
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("BRIEFBOT_DATABASE_URL", pg_url)
    data = str(tmp_path / "data")
    _, out, _ = main_in_process(capsys, "doctor", "--json", "--offline", "--data-dir", data)
    database = next(f for f in json.loads(out)["findings"] if f["check"] == "database")
    from bot.store.postgres.migrations import LATEST_VERSION

    assert database["status"] == "warn"
    assert f"schema 0, migrated to {LATEST_VERSION}" in database["message"]
    assert main_in_process(capsys, "stats", "--data-dir", data)[0] == 0  # seeds it
    _, out, _ = main_in_process(capsys, "doctor", "--json", "--offline", "--data-dir", data)
    database = next(f for f in json.loads(out)["findings"] if f["check"] == "database")
    assert database["status"] == "ok" and "1 articles" in database["message"]
    assert database["message"].startswith("postgresql://")
