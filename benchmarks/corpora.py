"""Where the benchmark corpora are: `../shared/corpora` beside the repository root, wherever
the repository is checked out (a clone, a worktree), never an absolute path."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO.parent / "shared" / "corpora"
RSS = CORPORA / "rss-2023-09-12-en.jsonl.gz"
BBC = CORPORA / "bbc-news-2225.jsonl.gz"
REALTIMEQA = CORPORA / "realtimeqa-dev"
