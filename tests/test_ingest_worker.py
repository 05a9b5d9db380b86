"""Ingest with a worker process preparing batches: the same store as in one process, and a
worker that fails or dies is a clear error that leaves whole batches only."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from corpus_helpers import REPO, assert_consistent, main_in_process, prose, stored_articles

from bot.config import Settings
from bot.engine import Engine
from bot.ingest.prepare import PrepareOptions, seconds
from bot.ingest.readers import ReadLimits
from bot.ingest.worker import IngestWorkerError, PrepareWorker
from bot.models import IngestReport

BATCH = 40


def _items(n: int) -> list[dict[str, Any]]:
    """Articles of every kind ingest tells apart, some in each batch."""
    items: list[dict[str, Any]] = []
    for i in range(n):
        item: dict[str, Any] = {
            "id": f"w{i}",
            "title": f"Story {i} from the valley",
            "text": prose(i, sentences=1 + i % 25),
            "url": f"https://news.example/{i}",
            "source": f"Outlet {i % 5}",
            "date": f"2023-10-{1 + i % 28:02d}T12:00:00Z",
        }
        if i % 13 == 0:
            item["text"] += " Café Zürich’s naïve façade — 東京."
        if i % 17 == 0:
            del item["date"]  # stored with the ingest time
        if i % 23 == 0 and i:
            item["url"] = f"https://news.example/{i - 1}/?utm_source=rss"  # same URL
        if i % 29 == 0 and i:
            item["text"] = items[i - 2]["text"]  # same text
        if i % 31 == 0 and i:
            words = items[i - 1]["text"].split(" ")
            words[3] = "altered"
            item["text"] = " ".join(words)  # a near-duplicate from another outlet
            item["url"] = f"https://other.example/{i}"
        if i % 37 == 0:
            item["text"] = "   "  # rejected: empty
        if i % 43 == 0:
            item["ingested_at"] = "2023-11-01T00:00:00+00:00"  # a `briefbot export` line
            item["alternates"] = [{"title": f"Copy {i}", "url": f"https://copy.example/{i}"}]
        items.append(item)
    return items


def _write(path: Path, items: list[dict[str, Any]]) -> Path:
    lines = [json.dumps(item) for item in items]
    lines.insert(len(lines) // 2, "{not json")  # a broken line is a rejection
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _settings(data: Path, workers: int) -> Settings:
    return Settings(
        data_dir=data,
        auto_seed=False,
        ingest={"batch": BATCH, "workers": workers, "worker_min_bytes": 0},
    )


def _ingest(source: Path, data: Path, mode: str) -> IngestReport:
    """`mode`: "one" process, "worker" as configured, or a worker that "always"/"never"
    tokenises the passages."""
    engine = Engine(_settings(data, 0 if mode == "one" else 1))
    try:
        if mode in ("one", "worker"):
            return engine.ingest([source])
        ingestor = engine.ingestor
        options = PrepareOptions.of(engine.settings, planned=True)
        limits = ReadLimits(10**8, 10**7)
        with PrepareWorker([source], limits, options, BATCH, tokenise=mode == "always") as w:
            return ingestor._ingest_prepared(w.batches(), None)
    finally:
        engine.close()


def _snapshot(data: Path) -> dict[str, Any]:
    conn = sqlite3.connect(data / "briefbot.sqlite3")
    try:
        tables = {
            "articles": "SELECT id, title, text, url, canonical_url, source, published_at,"
            " content_hash, language, external_id, origin, author,"
            # the ingest time is the run's clock, unless an export kept one
            " CASE WHEN ingested_at = '2023-11-01T00:00:00+00:00' THEN ingested_at END"
            " FROM articles ORDER BY id",
            "chunks": 'SELECT id, article_id, ordinal, start, "end", tokens, words, text'
            " FROM chunks ORDER BY id",
            "alternates": "SELECT canonical_id, dedupe_key, title, url, source, published_at,"
            " similarity FROM article_alternates ORDER BY id",
            "prints": "SELECT article_id, keys FROM near_dup_prints ORDER BY article_id",
            "stats": "SELECT chunks, words, id_hash FROM corpus_stats",
        }
        found: dict[str, Any] = {k: conn.execute(sql).fetchall() for k, sql in tables.items()}
        times = dict(
            conn.execute(
                "SELECT c.id, coalesce(a.published_at, a.ingested_at) FROM chunks c"
                " JOIN articles a ON a.id = c.article_id"
            ).fetchall()
        )
    finally:
        conn.close()
    folder = data / "briefbot.sqlite3.postings"
    manifest = json.loads((folder / "manifest.json").read_text())
    segments = []
    for name in manifest["segments"]:
        arrays = {p.stem: np.load(p) for p in sorted((folder / name).glob("*.npy"))}
        # a passage's time is its article's (published, else ingested: this run's clock)
        stamps = [seconds(times[int(i)]) for i in arrays["ids"].tolist()]
        assert arrays.pop("when").tolist() == stamps
        segments.append({k: (v.dtype.str, v.tobytes()) for k, v in arrays.items()})
    found["segments"] = segments
    found["deleted"] = manifest["deleted"]
    return found


def test_a_worker_writes_what_one_process_writes(tmp_path: Path) -> None:
    source = _write(tmp_path / "items.jsonl", _items(320))
    expected = _ingest(source, tmp_path / "one", "one")
    assert expected.added > 200 and expected.duplicates and expected.near_duplicates
    assert len(expected.rejected) >= 9  # the empty texts and the broken line
    want = _snapshot(tmp_path / "one")
    assert len(want["segments"]) >= 1
    for mode in ("worker", "always", "never"):
        report = _ingest(source, tmp_path / mode, mode)
        assert report.model_dump(exclude={"added_ids"}) == expected.model_dump(
            exclude={"added_ids"}
        ), mode
        assert report.added_ids == expected.added_ids
        assert _snapshot(tmp_path / mode) == want, mode
        assert_consistent(tmp_path / mode / "briefbot.sqlite3")


def test_an_error_in_the_worker_is_raised_with_its_reason(tmp_path: Path) -> None:
    source = _write(tmp_path / "items.jsonl", _items(60))
    broken = PrepareOptions(10**7, 200, 150, 250, near_dup_min_words=None, planned=True)
    broken = PrepareOptions(**{**broken.__dict__, "chunk_tokens": "many"})  # type: ignore[arg-type]
    with (
        PrepareWorker([source], ReadLimits(10**8, 10**7), broken, BATCH) as worker,
        pytest.raises(IngestWorkerError, match="the ingest worker failed: TypeError"),
    ):
        list(worker.batches())
    assert worker.process.returncode == 0


def _workers(pid: int) -> list[int]:
    """The ingest worker processes of `pid`."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            if b"bot.ingest.worker" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
    return found


def _start_ingest(source: Path, data: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.update(
        PYTHONPATH=str(REPO),
        BRIEFBOT_INGEST_BATCH="100",
        BRIEFBOT_INGEST_WORKERS="1",
        BRIEFBOT_INGEST_WORKER_MIN_BYTES="0",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "ingest", str(source), "--data-dir", str(data)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while stored_articles(data / "briefbot.sqlite3") == 0 and proc.poll() is None:
        assert time.monotonic() < deadline, "nothing was stored"
        time.sleep(0.01)
    return proc


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds the worker in /proc")
def test_a_killed_worker_ends_the_ingest_with_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items = [
        {**item, "text": prose(i, 3), "url": f"https://k.example/{i}"}
        for i, item in enumerate(_items(3000))
    ]
    source = _write(tmp_path / "many.jsonl", items)
    data = tmp_path / "data"
    proc = _start_ingest(source, data)
    try:
        workers = _workers(proc.pid)
        assert len(workers) == 1, "one worker process"
        os.kill(workers[0], signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    assert "the ingest worker process ended unexpectedly (exit code -9)" in err
    counts = assert_consistent(data / "briefbot.sqlite3")
    assert 0 < counts["articles"] < 3000 - 100
    code, _, err = main_in_process(capsys, "ingest", str(source), "--data-dir", str(data))
    assert code == 0, err
    assert assert_consistent(data / "briefbot.sqlite3")["articles"] > counts["articles"]


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds the worker in /proc")
def test_the_worker_ends_when_the_ingesting_process_is_killed(tmp_path: Path) -> None:
    items = [{**item, "url": f"https://p.example/{i}"} for i, item in enumerate(_items(3000))]
    source = _write(tmp_path / "many.jsonl", items)
    proc = _start_ingest(source, tmp_path / "data")
    try:
        workers = _workers(proc.pid)
        assert len(workers) == 1
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    deadline = time.monotonic() + 30
    while Path(f"/proc/{workers[0]}").exists():
        status = Path(f"/proc/{workers[0]}/status").read_text()
        if "zombie" in status:  # ended; its parent is gone, init reaps it
            break
        assert time.monotonic() < deadline, "the worker outlived the ingest"
        time.sleep(0.05)
    assert_consistent(tmp_path / "data" / "briefbot.sqlite3")


def test_a_worker_feeds_postgresql_what_one_process_does(tmp_path: Path, pg_url: str) -> None:
    """PostgreSQL hands out ids itself: prepared batches are written article by article."""
    source = _write(tmp_path / "items.jsonl", _items(120))
    expected = _ingest(source, tmp_path / "one", "one")
    engine = Engine(
        Settings(
            data_dir=tmp_path / "pg",
            database_url=pg_url,
            auto_seed=False,
            ingest={"batch": BATCH, "workers": 1, "worker_min_bytes": 0},
        )
    )
    try:
        assert engine.store.dialect == "postgresql"
        report = engine.ingest([source])
        assert report.added == expected.added
        assert report.duplicates + report.near_duplicates == (
            expected.duplicates + expected.near_duplicates
        )
        assert len(report.rejected) == len(expected.rejected)
        assert engine.search("story from the valley", k=3)
    finally:
        engine.close()
