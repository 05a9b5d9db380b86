"""One settings object: every knob of briefbot, read from BRIEFBOT_* env vars and `.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from platformdirs import user_data_dir
from pydantic import Field, SecretStr, field_validator, model_validator
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
        default=0.65,
        ge=0.0,
        le=1.0,
        description="minimum share of the question's term weight a passage must cover",
    )
    max_answer_sentences: int = Field(default=4, ge=1, le=10)

    # --- Briefings (issue 5) -------------------------------------------------------
    briefing_top_stories: int = Field(default=6, ge=1, le=30, description="stories shown")
    briefing_max_sentences: int = Field(default=3, ge=1, le=3, description="per story")
    briefing_window_max_hours: float = Field(
        default=24.0, gt=0, le=24 * 14, description="longest look-back of a briefing"
    )
    briefing_empty: Literal["message", "silent"] = Field(
        default="message", description="empty window: say so, or send nothing"
    )
    briefing_default_time: str = Field(default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    briefing_default_timezone: str = "UTC"
    briefing_grace_minutes: int = Field(
        default=120, ge=0, le=24 * 60, description="a missed slot is still sent this late"
    )
    briefing_duplicate_similarity: float = Field(
        default=0.8, gt=0, le=1, description="cosine above which articles are copies"
    )
    briefing_story_similarity: float = Field(
        default=0.22, gt=0, le=1, description="average-link cosine joining one story"
    )
    briefing_story_hours: float = Field(
        default=36.0, gt=0, description="articles further apart never join one story"
    )
    briefing_max_articles: int = Field(
        default=6000, ge=10, description="newest articles clustered in one briefing"
    )
    briefing_claim_lease_seconds: int = Field(
        default=600, ge=10, description="a claimed-but-unsent slot may be retaken after this"
    )
    briefing_max_attempts: int = Field(default=3, ge=1, le=20)

    # --- Retrieval quality (issue 7) ---------------------------------------------------
    retrieval: Literal["bm25", "dense", "hybrid"] = Field(
        default="bm25", description="ranking: lexical, embeddings, or both fused with RRF"
    )
    rrf_k: float = Field(default=10.0, gt=0, description="reciprocal rank fusion constant")
    dense_weight: float = Field(
        default=0.5, ge=0.0, le=4.0, description="weight of the dense list in the fusion"
    )
    fusion_depth: int = Field(
        default=50, ge=5, le=1000, description="passages taken from each list before fusion"
    )
    embeddings_base_url: str | None = Field(
        default=None, description="OpenAI-compatible /v1 URL; unset = offline wordllama"
    )
    embeddings_model: str = "text-embedding-3-small"
    embeddings_api_key: SecretStr | None = Field(
        default=None, description="key for the embeddings endpoint (else OPENAI_API_KEY)"
    )
    embeddings_batch: int = Field(default=256, ge=1, le=4096)
    embed_at_ingest: bool = Field(
        default=True,
        description="embed chunks inside each ingest batch; false = later, at the first "
        "search or `briefbot reindex` (keeps ingest at BM25 speed)",
    )
    embeddings_timeout: float = Field(default=30.0, gt=0)
    recency_reference: Literal["auto", "now", "corpus"] = Field(
        default="auto",
        description="what 'yesterday' is relative to: now, the newest article, or now unless "
        "the corpus has nothing from the last week",
    )

    @field_validator("briefing_default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r}") from exc
        return value

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
