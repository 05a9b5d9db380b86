"""Errors print one clear line on stderr and exit non-zero, never a traceback."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from corpus_helpers import main_in_process, run_cli

Cap = pytest.CaptureFixture[str]


def _one_error_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "error" in lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["ask", "q", "--since", "not-a-date"], "argument --since: unparseable date 'not-a-date'"),
        (["ask", "q", "--until", "31/31/2023"], "argument --until"),
        (["ask", "q", "--since", "99999999999999999999d"], "argument --since"),
        (["ask", "q", "--k", "many"], "argument --k: expected a whole number"),
        (["ask", "q", "--bogus"], "unrecognized arguments: --bogus"),
        (["ask"], "required: question"),
        (["fly"], "invalid choice: 'fly'"),
        ([], "required: COMMAND"),
        (["ingest"], "required: PATH"),
        (["ask", "q", "--k", "0"], "argument --k: must be at least 1"),
        (["sources", "--limit", "-5"], "argument --limit: must be at least 1"),
    ],
)
def test_bad_arguments(args: list[str], needle: str, tmp_path: Path, capsys: Cap) -> None:
    code, out, err = main_in_process(capsys, *args)
    assert code == 2
    assert out == ""
    assert needle in _one_error_line(err)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["ask", "   "], "the question is empty"),
        (
            ["ask", "q", "--since", "2023-10-20", "--until", "2023-10-01"],
            "--since is after --until",
        ),
    ],
)
def test_bad_values(args: list[str], needle: str, tmp_path: Path, capsys: Cap) -> None:
    code, _, err = main_in_process(capsys, *args, "--data-dir", str(tmp_path / "d"), "--no-seeds")
    assert code == 1
    assert needle in _one_error_line(err)


def test_ingest_missing_file(tmp_path: Path, capsys: Cap) -> None:
    code, out, err = main_in_process(
        capsys, "ingest", str(tmp_path / "nope.jsonl"), "--data-dir", str(tmp_path / "d")
    )
    assert code == 1
    assert "no such file or directory" in _one_error_line(err)
    assert "nope.jsonl" in err
    assert "rejected: " in out  # the summary still names it


def test_corrupt_database_file(tmp_path: Path, capsys: Cap) -> None:
    data = tmp_path / "d"
    data.mkdir()
    (data / "briefbot.sqlite3").write_bytes(os.urandom(8192))
    for command in (["stats"], ["ask", "What hit Ain al-Asad?"], ["sources", "--json"]):
        code, out, err = main_in_process(capsys, *command, "--data-dir", str(data))
        assert code == 1
        line = _one_error_line(err)
        assert line.startswith("briefbot: error: cannot open database")
        assert "file is not a database" in line
        assert out == ""


def test_truncated_database_file(tmp_path: Path, capsys: Cap) -> None:
    data = tmp_path / "d"
    assert main_in_process(capsys, "stats", "--data-dir", str(data))[0] == 0  # seeds it
    db = data / "briefbot.sqlite3"
    conn = sqlite3.connect(str(db))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    raw = db.read_bytes()
    db.write_bytes(raw[: len(raw) // 2])
    code, _, err = main_in_process(capsys, "ask", "What hit Ain al-Asad?", "--data-dir", str(data))
    assert code == 1
    assert "malformed" in _one_error_line(err)


def test_data_dir_that_is_a_file(tmp_path: Path, capsys: Cap) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    code, _, err = main_in_process(capsys, "stats", "--data-dir", str(blocker / "sub"))
    assert code == 1
    assert "cannot create data directory" in _one_error_line(err)


def test_database_path_that_is_a_directory(tmp_path: Path, capsys: Cap) -> None:
    data = tmp_path / "d"
    (data / "briefbot.sqlite3").mkdir(parents=True)
    code, _, err = main_in_process(capsys, "stats", "--data-dir", str(data))
    assert code == 1
    assert _one_error_line(err).startswith("briefbot: error: cannot open database")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_database_file(tmp_path: Path, capsys: Cap) -> None:
    data = tmp_path / "d"
    main_in_process(capsys, "stats", "--data-dir", str(data))
    (data / "briefbot.sqlite3").chmod(0)
    try:
        code, _, err = main_in_process(capsys, "stats", "--data-dir", str(data))
    finally:
        (data / "briefbot.sqlite3").chmod(0o644)
    assert code == 1
    assert "cannot open database" in _one_error_line(err)


def test_errors_in_a_real_process_have_no_traceback(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    (data / "briefbot.sqlite3").write_bytes(os.urandom(8192))
    result = run_cli("ask", "What hit Ain al-Asad?", data_dir=data)
    assert result.returncode == 1
    assert "file is not a database" in _one_error_line(result.stderr)
    result = run_cli("ask", "q", "--since", "garbage", data_dir=data)
    assert result.returncode == 2
    _one_error_line(result.stderr)


def test_bad_setting_in_the_environment(
    tmp_path: Path, capsys: Cap, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEFBOT_TOP_K", "lots")
    code, _, err = main_in_process(capsys, "stats", "--data-dir", str(tmp_path / "d"))
    assert code == 2
    assert "invalid setting BRIEFBOT_TOP_K=lots: " in _one_error_line(err)


def test_ingest_exits_1_when_nothing_was_added_and_something_was_rejected(
    tmp_path: Path, capsys: Cap
) -> None:
    data = str(tmp_path / "d")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "No text"}\nnot json\n')
    code, out, err = main_in_process(capsys, "ingest", str(bad), "--data-dir", data)
    assert code == 1
    assert _one_error_line(err) == "briefbot: error: nothing added; 2 items rejected"
    assert out.startswith("added 0, 0 duplicates, 2 rejected")
    good = tmp_path / "good.jsonl"
    good.write_text('{"title": "T", "text": "Some text here."}\n')
    assert main_in_process(capsys, "ingest", str(good), str(bad), "--data-dir", data)[0] == 0
    # nothing new and nothing wrong: a no-op, not a failure
    assert main_in_process(capsys, "ingest", str(good), "--data-dir", data)[0] == 0
    code, out, _ = main_in_process(capsys, "ingest", str(bad), "--json", "--data-dir", data)
    assert code == 1 and '"added": 0' in out


def test_ingest_help_documents_the_exit_codes(capsys: Cap) -> None:
    code, out, _ = main_in_process(capsys, "ingest", "--help")
    assert code == 0
    assert "exit status:" in out and "1  nothing was added and something was rejected" in out


def test_unexpected_failures_are_one_line_and_v_shows_the_traceback(
    tmp_path: Path, capsys: Cap
) -> None:
    data = tmp_path / "d"
    assert main_in_process(capsys, "stats", "--data-dir", str(data))[0] == 0  # seeded
    conn = sqlite3.connect(data / "briefbot.sqlite3")
    conn.execute("UPDATE articles SET ingested_at = ''")  # a NOT NULL time, emptied
    conn.commit()
    conn.close()
    code, _, err = main_in_process(capsys, "sources", "--data-dir", str(data))
    assert code == 1
    line = _one_error_line(err)
    assert "missing required timestamp" in line and line.endswith("(run with -v for the traceback)")
    code, _, err = main_in_process(capsys, "sources", "-v", "--data-dir", str(data))
    assert code == 1 and "Traceback (most recent call last)" in err
