"""`briefbot brief` and `briefbot subscriptions` as a user runs them (subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "briefing_day.jsonl"


def run(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "BRIEFBOT_DATA_DIR": str(data),
        # the briefing's own copy collapse is under test, not the ingest-time one
        "BRIEFBOT_NEAR_DUP_ENABLED": "false",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-brief")
    done = run("ingest", str(FIXTURE), "--no-seeds", data=folder)
    assert done.returncode == 0, done.stderr
    return folder


def test_brief_json_lists_stories_sentences_citations_and_sources(data: Path) -> None:
    done = run("brief", "--date", "2023-10-17", "--top", "4", "--json", "--no-seeds", data=data)
    assert done.returncode == 0, done.stderr
    briefing = json.loads(done.stdout)
    assert len(briefing["stories"]) == 4 and briefing["more_stories"] == 9
    numbers = {s["n"] for s in briefing["sources"]}
    for story in briefing["stories"]:
        assert story["sentences"] and story["sources"]
        for sentence in story["sentences"]:
            assert set(sentence["citations"]) <= numbers
        cited = {n for s in story["sentences"] for n in s["citations"]}
        cited |= {n for d in story["disagreements"] for n in d["citations"]}
        assert {r["n"] for r in story["sources"]} == cited
    assert briefing["stories"][0]["articles"] == 7


def test_brief_text_with_topics(data: Path) -> None:
    done = run("brief", "--date", "2023-10-17", "--topics", "Houthi", "--no-seeds", data=data)
    assert done.returncode == 0, done.stderr
    assert "USS Carney" in done.stdout and "3 articles from 3 sources" in done.stdout
    assert "Gaza" not in done.stdout.split("Sources:")[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--date", "2023-10-17", "--since", "2023-10-16"), "either --date or --since"),
        (("--date", "17/10/2023"), "not a date"),
        (("--date", "2023-10-17", "--tz", "Mars/Base"), "unknown timezone"),
        (("--since", "2023-10-18", "--until", "2023-10-17"), "starts after it ends"),
    ],
)
def test_bad_brief_arguments_fail_cleanly(data: Path, args: tuple[str, ...], message: str) -> None:
    done = run("brief", *args, "--no-seeds", data=data)
    assert done.returncode != 0
    assert message in done.stderr and "Traceback" not in done.stderr


def test_subscriptions_add_list_pause_remove(data: Path) -> None:
    added = run("subscriptions", "add", "77", "7:30", "Europe/Berlin", "Iraq,", "Syria", data=data)
    assert added.returncode == 0, added.stderr
    assert "07:30 Europe/Berlin" in added.stdout and "topics: Iraq, Syria" in added.stdout
    bad = run("subscriptions", "add", "77", "25:00", data=data)
    assert bad.returncode == 1 and "not a time of day" in bad.stderr
    listed = run("subscriptions", "list", "--json", data=data)
    subs = json.loads(listed.stdout)
    assert [(s["chat_id"], s["time_of_day"], s["timezone"]) for s in subs] == [
        (77, "07:30", "Europe/Berlin")
    ]
    paused = run("subscriptions", "pause", "77", data=data)
    assert "(paused)" in paused.stdout
    assert run("subscriptions", "remove", "77", data=data).returncode == 0
    gone = run("subscriptions", "remove", "77", data=data)
    assert gone.returncode == 1 and "no subscription" in gone.stderr
    empty = run("subscriptions", "list", data=data)
    assert empty.returncode == 0 and "no subscriptions" in empty.stdout
