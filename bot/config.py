"""One settings object: every knob of briefbot, read from BRIEFBOT_* env vars and `.env`."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_dir
from pydantic import AliasChoices, Field, SecretStr, model_validator
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
        populate_by_name=True,
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

    # --- LLM (issue 3) --------------------------------------------------------------
    llm_base_url: str | None = Field(
        default=None, description="OpenAI-compatible endpoint; LLM answers are on when set"
    )
    llm_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("BRIEFBOT_LLM_API_KEY", "OPENAI_API_KEY"),
        description="API key (falls back to OPENAI_API_KEY); never logged",
    )
    llm_model: str = "gpt-4o-mini"
    llm_timeout: float = Field(default=20.0, gt=0, description="seconds per HTTP request")
    llm_max_retries: int = Field(default=2, ge=0, le=10)
    llm_deadline: float = Field(
        default=30.0, gt=0, description="seconds an answer may take before the fallback"
    )
    llm_prompt_budget: int = Field(
        default=2500, ge=300, le=100_000, description="prompt tokens, instructions included"
    )
    llm_max_completion_tokens: int = Field(default=600, ge=50, le=8000)
    llm_prompts_dir: Path | None = Field(
        default=None, description="folder of prompt templates overriding the bundled ones"
    )
    llm_history_tokens: int = Field(
        default=600, ge=0, le=20_000, description="bound on conversation history in prompts"
    )
    llm_daily_tokens_per_chat: int = Field(
        default=200_000, ge=0, description="tokens a chat may use per UTC day; 0 = unlimited"
    )
    llm_keep_uncited: bool = Field(
        default=False, description="keep sentences without a valid citation, marked uncited"
    )

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url or self.llm_api_key)

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
