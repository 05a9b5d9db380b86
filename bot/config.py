"""One settings object: every knob of briefbot, read from BRIEFBOT_* env vars and `.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field, SecretStr, model_validator
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
    embeddings_timeout: float = Field(default=30.0, gt=0)
    recency_reference: Literal["auto", "now", "corpus"] = Field(
        default="auto",
        description="what 'yesterday' is relative to: now, the newest article, or now unless "
        "the corpus has nothing from the last week",
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
