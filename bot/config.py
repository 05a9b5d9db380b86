"""One settings object: every knob of briefbot, read from BRIEFBOT_* env vars and `.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from platformdirs import user_data_dir
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


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
    # Each commit flushes FTS5 terms and writes every index page the batch touched (content
    # hashes, URLs and near-duplicate band keys land on random pages), so fewer, larger
    # commits are much cheaper per article: 100k RSS items took 42 s at 500, 33 s at 5,000.
    ingest_batch: int = Field(default=5000, ge=1, description="articles per commit")

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
    briefing_sweep_seconds: float = Field(
        default=300.0, ge=1, description="catch-up tick: retries, missed slots, lost jobs"
    )
    briefing_llm_summaries: bool = Field(
        default=True, description="LLM-written story summaries when an LLM endpoint is set"
    )
    briefing_llm_concurrency: int = Field(
        default=3, ge=1, le=16, description="story summaries requested at the same time"
    )

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
    llm_min_coverage: float = Field(
        default=0.3,
        ge=0.0,
        le=1.0,
        description="lexical coverage the best passage needs before the LLM is asked; lower "
        "than the extractive threshold because the model may paraphrase (verification still "
        "checks every sentence)",
    )
    llm_keep_uncited: bool = Field(
        default=False, description="keep sentences without a valid citation, marked uncited"
    )

    # --- Telegram (issue 4) --------------------------------------------------------
    telegram_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "telegram_token", "TELEGRAM_BOT_TOKEN", "BRIEFBOT_TELEGRAM_TOKEN"
        ),
        description="Bot API token from @BotFather (TELEGRAM_BOT_TOKEN)",
    )
    telegram_api_url: str | None = Field(
        default=None, description="Bot API base URL for a self-hosted server (default Telegram)"
    )
    telegram_webhook_url: str | None = Field(
        default=None, description="public HTTPS URL; when set the bot runs a webhook"
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None, description="X-Telegram-Bot-Api-Secret-Token (generated when unset)"
    )
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = Field(default=8443, ge=1, le=65535)
    telegram_allowed_users: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="user ids allowed to ask; empty = everyone"
    )
    telegram_allowed_chats: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="group chat ids the bot serves; empty = every group"
    )
    telegram_admin_users: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="user ids always allowed, exempt from rate limits"
    )
    telegram_admin_log_chat: int | None = Field(
        default=None, description="chat that receives error tracebacks"
    )
    telegram_rate_limit: int = Field(default=10, ge=1, description="questions per window")
    telegram_rate_window: float = Field(default=60.0, gt=0, description="seconds")
    telegram_history_turns: int = Field(default=6, ge=0, le=50)
    telegram_history_tokens: int = Field(default=1500, ge=0)
    telegram_history_idle_minutes: float = Field(default=60.0, gt=0)
    telegram_link_previews: bool = False
    telegram_max_retries: int = Field(default=3, ge=0, description="429 retries per request")
    telegram_messages_per_second: int = Field(
        default=30, ge=3, le=1000, description="flood limit over all chats (Telegram: 30)"
    )
    telegram_group_messages_per_minute: int = Field(
        default=20, ge=3, le=1000, description="flood limit per group (Telegram: 20)"
    )
    telegram_typing_interval: float = Field(default=4.5, gt=0)
    telegram_edit_interval_private: float = Field(default=1.0, ge=0)
    telegram_edit_interval_group: float = Field(
        default=5.0, ge=0, description="groups allow 20 messages a minute, edits included"
    )
    telegram_poll_timeout: int = Field(default=30, ge=0, le=50, description="getUpdates wait")

    @field_validator(
        "telegram_allowed_users", "telegram_allowed_chats", "telegram_admin_users", mode="before"
    )
    @classmethod
    def _id_list(cls, value: object) -> object:
        """Accept "1, 2,-100" from the environment as well as real lists."""
        if isinstance(value, str):
            return [part for part in value.replace(";", ",").replace(" ", ",").split(",") if part]
        if isinstance(value, int):
            return [value]
        return value

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

    # --- issue-12-llm-trust: LLM answer bounds and verification (moves to settings.llm) --
    llm_max_answer_chars: int = Field(
        default=1200, ge=100, le=20_000, description="cap on an LLM answer's sentence text"
    )
    llm_verify: Literal["claims", "model"] = Field(
        default="claims",
        description="claims: offline claim checks; model: also ask the endpoint to judge "
        "each kept sentence against its passages (costs a second call)",
    )
    llm_temperature: float = Field(default=0.1, ge=0.0, le=2.0)

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

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url or self.llm_api_key)

    def secret_values(self) -> list[str]:
        """Every secret that is set (tokens, API keys): what logs and reports must redact."""
        found = (
            self.telegram_token,
            self.telegram_webhook_secret,
            self.llm_api_key,
            self.embeddings_api_key,
        )
        return [v.get_secret_value() for v in found if v is not None and v.get_secret_value()]
