"""`briefbot feeds …` and `briefbot ingest URL` in a subprocess, against a loopback server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import REPO
from tests.support.content import Item, article_page, rss2
from tests.support.webserver import LoopbackServer, Reply

BODY = " ".join(f"Paragraph word{n} about the new library opening downtown." for n in range(30))


@pytest.fixture
def web() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        yield server


def briefbot(tmp_path: Path, *args: str, allow: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.update(PYTHONPATH=str(REPO), BRIEFBOT_DATA_DIR=str(tmp_path / "data"))
    if allow:
        env["BRIEFBOT_FETCH_ALLOWLIST"] = "127.0.0.1"
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "--no-seeds"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """In-process run (the subprocess start-up is the slow part; one test keeps it real)."""
    code = main([*args, "--no-seeds"])
    out, err = capsys.readouterr()
    return code, out, err


def test_feeds_commands(
    web: LoopbackServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BRIEFBOT_FETCH_ALLOWLIST", "127.0.0.1")
    feed = web.route(
        "/rss",
        Reply(
            body=rss2("Town", [Item("Library opens", web.url("/lib"), BODY)]),
            content_type="text/xml",
        ),
    )
    bad = web.route("/bad", Reply(body=b"<rss><channel><item><title>x"))

    assert run_cli(capsys, "feeds", "add", feed, "--name", "Town", "--interval", "15")[0] == 0
    assert run_cli(capsys, "feeds", "add", bad)[0] == 0
    code, _, err = run_cli(capsys, "feeds", "add", feed)
    assert code == 1 and "already added" in err

    code, out, err = run_cli(capsys, "feeds", "poll")
    assert code == 0, err
    assert "[1] 1 entries, 1 new: added 1" in out
    assert "[2] error: unexpected content type text/html" in out

    _, listing, _ = run_cli(capsys, "feeds", "list")
    assert "[1] Town" in listing and "every 15 min · ok · 1 articles" in listing
    assert "failing (1 in a row)" in listing and "last error: unexpected content" in listing
    assert listing.count(feed) == 1 and listing.count(bad) == 2, (
        "an unnamed feed's URL is its label"
    )

    code, out, _ = run_cli(capsys, "feeds", "remove", "2")
    assert code == 0 and bad in out
    code, _, err = run_cli(capsys, "feeds", "remove", "2")
    assert code == 1 and err.strip() == "briefbot: error: no feed 2"


def test_ingest_url(tmp_path: Path, web: LoopbackServer) -> None:
    page = web.route("/story", Reply(body=article_page("Library opens", [BODY])))
    added = briefbot(tmp_path, "ingest", page)
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("added 1, 0 duplicates")
    again = briefbot(tmp_path, "ingest", page)
    assert again.stdout.startswith("added 0, 1 duplicates")

    refused = briefbot(tmp_path, "ingest", page, allow=False)
    assert refused.returncode == 1
    assert "refused to fetch 127.0.0.1: it resolves to a loopback address" in refused.stderr
    assert "Traceback" not in refused.stderr
