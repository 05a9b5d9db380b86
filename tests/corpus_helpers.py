"""Helpers shared by the ingest/store/retrieval/CLI tests: generated prose and DB checks."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.store.fingerprint import MODULUS, passage_hash

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

_WORDS = (
    "harbour council ferry terminal contractor steel bridge river valley farmers market "
    "election minister budget hospital nurses school teachers railway station airport "
    "storm flood drought harvest museum library festival orchestra stadium league coach "
    "factory workers union strike wages energy prices solar wind turbine battery grid "
    "police court judge appeal verdict lawyers prison reform village mayor tourists"
).split()


def prose(seed: int, sentences: int = 12, words_per_sentence: tuple[int, int] = (12, 28)) -> str:
    """Deterministic news-like paragraphs of plain sentences."""
    rng = random.Random(seed)
    out: list[str] = []
    for i in range(sentences):
        n = rng.randint(*words_per_sentence)
        words = [rng.choice(_WORDS) for _ in range(n)]
        sentence = " ".join(words).capitalize() + "."
        out.append(sentence)
        if i % 4 == 3:
            out.append("\n\n")
    return " ".join(out).replace(" \n\n ", "\n\n").strip()


def write_jsonl(path: Path, items: list[Any]) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


def run_cli(
    *args: str, data_dir: Path | None = None, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ...` in a subprocess against this checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env["PYTHONPATH"] = str(REPO)
    env["BRIEFBOT_DATA_DIR"] = str(data_dir) if data_dir else env.get("HOME", "/tmp")
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def assert_consistent(db_path: Path) -> dict[str, int]:
    """Check that every stored article is whole and that the counters match the tables.

    The corpus counters and fingerprint are what the postings index checks itself against
    (it rebuilds when they differ), so they must match the chunks exactly; each article's
    chunks are contiguous and cover its text.
    """
    conn = sqlite3.connect(str(db_path))
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "chunks_fts" not in tables, "SQLite stores keep no FTS5 table"
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        chunks = conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        stats_chunks, stats_words = conn.execute(
            "SELECT chunks, words FROM corpus_stats WHERE id = 1"
        ).fetchone()
        assert stats_chunks == chunks
        words = conn.execute("SELECT coalesce(sum(words), 0) FROM chunks").fetchone()[0]
        assert stats_words == words
        fingerprint = sum(
            passage_hash(cid, title, text)
            for cid, title, text in conn.execute(
                "SELECT c.id, a.title, c.text FROM chunks c JOIN articles a ON a.id = c.article_id"
            )
        )
        stored = conn.execute("SELECT id_hash FROM corpus_stats WHERE id = 1").fetchone()[0]
        assert stored == fingerprint % MODULUS, "the corpus fingerprint misses a change"
        orphans = conn.execute(
            "SELECT count(*) FROM articles a WHERE NOT EXISTS"
            " (SELECT 1 FROM chunks c WHERE c.article_id = a.id)"
        ).fetchone()[0]
        assert orphans == 0, "an article without chunks"
        for article_id, text in conn.execute("SELECT id, text FROM articles"):
            rows = conn.execute(
                "SELECT ordinal, start, end, text FROM chunks"
                " WHERE article_id = ? ORDER BY ordinal",
                (article_id,),
            ).fetchall()
            assert [r[0] for r in rows] == list(range(len(rows)))
            for _, start, end, chunk_text in rows:
                assert text[start:end] == chunk_text
            assert text[: rows[0][1]].strip() == ""
            assert text[rows[-1][2] :].strip() == ""
        return {"articles": articles, "chunks": chunks}
    finally:
        conn.close()


def main_in_process(capsys: Any, *args: str) -> tuple[int, str, str]:
    """Run the real CLI entry point in this process (no interpreter start-up cost)."""
    from bot.cli import main

    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse errors and --help
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def stored_articles(db_path: Path) -> int:
    """How many articles the database at `db_path` holds, read-only; 0 while it does not
    exist yet or its schema is still being written (for watching another process ingest)."""
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=0.2)
        try:
            return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0
