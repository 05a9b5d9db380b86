"""SIGKILL in the middle of an ingest leaves a consistent database that ingests again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from corpus_helpers import (
    REPO,
    assert_consistent,
    main_in_process,
    prose,
    stored_articles,
    write_jsonl,
)

from bot.config import Settings
from bot.engine import Engine

N_ARTICLES = 2000


def _articles() -> list[dict[str, object]]:
    return [
        {
            "id": f"k{i}",
            "title": f"Report number {i} marker{i:05d}",
            "text": f"{prose(i, 4)} The code word is marker{i:05d}.",
            "source": f"Source {i % 7}",
            "date": f"2023-10-{1 + i % 28:02d}T12:00:00Z",
        }
        for i in range(N_ARTICLES)
    ]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_kill_mid_ingest_leaves_a_consistent_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_jsonl(tmp_path / "many.jsonl", _articles())
    data = tmp_path / "data"
    db_path = data / "briefbot.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.update(PYTHONPATH=str(REPO), BRIEFBOT_INGEST_BATCH="100")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "ingest", str(source), "--data-dir", str(data)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while stored_articles(db_path) == 0 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""

    counts = assert_consistent(db_path)
    assert 0 < counts["articles"] < N_ARTICLES, "the kill must land mid-way"
    # whole batches only: each commit holds a batch of articles with all their chunks
    assert counts["articles"] % 100 == 0

    engine = Engine(Settings(data_dir=data))
    try:
        stored = engine.store.db.query("SELECT external_id FROM articles ORDER BY id")
        stored_ids = [str(r[0]) for r in stored]
        assert stored_ids == [f"k{i}" for i in range(len(stored_ids))], "ingested in order"
        last = len(stored_ids) - 1
        hit = engine.search(f"marker{last:05d}").passages
        assert hit and hit[0].title == f"Report number {last} marker{last:05d}"
        assert engine.search(f"marker{last + 1:05d}").passages == []
        assert engine.stats().articles == len(stored_ids)
    finally:
        engine.close()

    code, out, err = main_in_process(capsys, "ingest", str(source), "--data-dir", str(data))
    assert code == 0, err
    assert out.startswith(
        f"added {N_ARTICLES - counts['articles']}, {counts['articles']} duplicates, 0 rejected"
    )
    final = assert_consistent(db_path)
    assert final["articles"] == N_ARTICLES
