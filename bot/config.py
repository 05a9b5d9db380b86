"""One settings object: every knob of briefbot, read from BRIEFBOT_* env vars and `.env`."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path(user_data_dir("briefbot", appauthor=False))


class Settings(BaseSettings):
    """All configuration. Fields are grouped by pipeline stage; each has a safe default."""

    model_config = SettingsConfigDict(
        env_prefix="BRIEFBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    # --- storage -----------------------------------------------------------------
    data_dir: Path = Field(default_factory=_default_data_dir)
    db_path: Path | None = Field(
        default=None, description="SQLite file; defaults to <data_dir>/briefbot.sqlite3"
    )
    seeds_dir: Path | None = Field(
        default=None, description="Folder ingested when the corpus is empty (default: bundled)"
    )
    auto_seed: bool = True

    # --- ingest ------------------------------------------------------------------
    chunk_tokens: int = Field(default=200, ge=40, le=2000, description="target passage size")
    chunk_max_tokens: int = Field(default=250, ge=50, le=4000)
    chunk_min_tokens: int = Field(default=150, ge=10, le=2000)
    ingest_batch: int = Field(default=500, ge=1, description="articles per commit")

    # --- retrieval / answers -------------------------------------------------------
    top_k: int = Field(default=8, ge=1, le=100, description="passages used for an answer")
    candidates: int = Field(default=100, ge=10, le=2000, description="BM25 candidates rescored")
    title_weight: float = Field(default=2.0, gt=0)
    abstain_threshold: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="minimum share of the question's term weight a passage must cover",
    )
    max_answer_sentences: int = Field(default=4, ge=1, le=10)

    # --- Feeds and fetching (issue 6) ----------------------------------------------
    fetch_allowlist: str = Field(
        default="",
        description="comma-separated hosts or CIDRs that may be fetched although they are "
        "loopback/private/reserved (e.g. '127.0.0.1' for a local test server)",
    )
    fetch_connect_timeout: float = Field(default=5.0, gt=0, description="seconds")
    fetch_read_timeout: float = Field(default=10.0, gt=0, description="seconds per read")
    fetch_total_timeout: float = Field(
        default=30.0, gt=0, description="deadline for a whole fetch, redirects included"
    )
    fetch_max_bytes: int = Field(
        default=5_000_000, ge=1024, description="largest body accepted, after decompression"
    )
    fetch_max_redirects: int = Field(default=5, ge=0, le=20)
    fetch_user_agent: str = "briefbot/0.1 (news digest bot; +https://github.com/briefbot/briefbot)"
    feed_poll_tick: int = Field(
        default=60, ge=5, description="seconds between the bot's checks for due feeds"
    )
    feed_default_interval: int = Field(default=30, ge=1, description="minutes between polls")
    feed_min_interval: int = Field(
        default=5, ge=0, description="minutes; no feed is polled more often than this"
    )
    feed_max_backoff: int = Field(default=24 * 60, ge=1, description="minutes")
    feed_max_failures: int = Field(
        default=5, ge=1, description="consecutive failures after which a feed is paused"
    )
    feed_concurrency: int = Field(default=8, ge=1, le=64, description="feeds fetched at once")
    page_concurrency: int = Field(default=8, ge=1, le=64, description="pages fetched at once")
    feed_fetch_pages: bool = Field(
        default=True, description="fetch and extract the linked page of teaser entries"
    )
    feed_teaser_chars: int = Field(
        default=600, ge=0, description="entries with less text than this are teasers"
    )
    near_dup_enabled: bool = Field(
        default=True, description="collapse near-duplicate copies into alternate sources"
    )
    near_dup_threshold: float = Field(
        default=0.8, gt=0.0, le=1.0, description="word-shingle Jaccard similarity to collapse"
    )
    near_dup_min_words: int = Field(
        default=25, ge=5, description="shorter texts are never matched as near-duplicates"
    )

    @model_validator(mode="after")
    def _resolve_paths(self) -> Settings:
        self.data_dir = Path(self.data_dir).expanduser()
        if self.db_path is None:
            self.db_path = self.data_dir / "briefbot.sqlite3"
        return self

    @property
    def database(self) -> Path:
        """The resolved SQLite path (never None after validation)."""
        assert self.db_path is not None
        return Path(self.db_path).expanduser()
