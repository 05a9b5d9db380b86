"""One settings object: every knob of briefbot, grouped in sections the way a reader looks.

`settings.llm.base_url`, `settings.briefing.top_stories`, … Each field keeps its flat
environment name (`BRIEFBOT_LLM_BASE_URL`, `BRIEFBOT_TOP_K`, …); the nested form
`BRIEFBOT_LLM__BASE_URL` works too. Constructor keywords accept either shape:
`Settings(llm_base_url=…)` or `Settings(llm={"base_url": …})`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from platformdirs import user_data_dir
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

ENV_PREFIX = "BRIEFBOT_"
ENV_FILE = ".env"


def _default_data_dir() -> Path:
    return Path(user_data_dir("briefbot", appauthor=False))


class Section(BaseModel):
    """A group of settings. `flat_prefix` + field name is the flat environment name, unless
    `flat_names` says otherwise; `env_aliases` are extra, un-prefixed variable names."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    flat_prefix: ClassVar[str] = ""
    flat_names: ClassVar[dict[str, str]] = {}
    env_aliases: ClassVar[dict[str, tuple[str, ...]]] = {}

    @classmethod
    def flat_name(cls, field: str) -> str:
        return cls.flat_names.get(field, cls.flat_prefix + field)


class StoreSettings(Section):
    data_dir: Path = Field(default_factory=_default_data_dir)
    db_path: Path | None = Field(
        default=None, description="SQLite file; defaults to <data_dir>/briefbot.sqlite3"
    )
    seeds_dir: Path | None = Field(
        default=None, description="Folder ingested when the corpus is empty (default: bundled)"
    )
    auto_seed: bool = True
    database_url: SecretStr | None = Field(
        default=None,
        description="postgresql://user:password@host/db selects PostgreSQL (install the"
        " postgres extra); unset: the SQLite file (never logged)",
    )

    index_dir: Path | None = Field(
        default=None,
        description="the postings index's folder; default: beside the SQLite file, or"
        " <data_dir>/postgres.postings with PostgreSQL (each instance keeps its own copy,"
        " which follows the database)",
    )
    postings_index: bool = Field(
        default=True,
        description="with PostgreSQL, rank over the per-instance postings index; false:"
        " through the database's full-text index (no index in the instance, approximate"
        " for common words in large corpora)",
    )

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        scheme = value.get_secret_value().split("://", 1)[0].lower()
        if scheme not in ("postgresql", "postgres"):
            raise ValueError("must be a postgresql:// URL (unset it to use SQLite)")
        return value


class IngestSettings(Section):
    flat_names: ClassVar[dict[str, str]] = {
        "batch": "ingest_batch",
        "max_file_bytes": "ingest_max_file_bytes",
        "max_record_bytes": "ingest_max_record_bytes",
        "workers": "ingest_workers",
        "worker_min_bytes": "ingest_worker_min_bytes",
    }

    chunk_tokens: int = Field(default=200, ge=40, le=2000, description="target passage size")
    chunk_max_tokens: int = Field(default=250, ge=50, le=4000)
    chunk_min_tokens: int = Field(default=150, ge=10, le=2000)
    # Each commit writes every index page the batch touched (content
    # hashes, URLs and near-duplicate band keys land on random pages), so fewer, larger
    # commits are much cheaper per article, up to a point: memory grows with the batch
    # (100k RSS items: 2,000 → 299 MB, 3,000 → 321 MB, 5,000 → 363 MB, CPU within 7%).
    batch: int = Field(default=2500, ge=1, description="articles per commit")
    near_dup_enabled: bool = Field(
        default=True, description="collapse near-duplicate copies into alternate sources"
    )
    near_dup_threshold: float = Field(
        default=0.8, gt=0.0, le=1.0, description="word-shingle Jaccard similarity to collapse"
    )
    near_dup_min_words: int = Field(
        default=25, ge=5, description="shorter texts are never matched as near-duplicates"
    )
    # Memory stays bounded whatever a file holds: JSON Lines are streamed line by line, and
    # only a .json file (up to max_file_bytes) or one-article file is read whole.
    max_file_bytes: int = Field(
        default=500_000_000,
        ge=1000,
        description="largest file read (after decompression); the rest of a stream is skipped",
    )
    max_record_bytes: int = Field(
        default=8_000_000,
        ge=1000,
        description="largest record: a JSON line or item, or a .txt/.md/.html file",
    )

    # A worker process reads and prepares the next batch (validation, keys, fingerprints,
    # passages, their postings) while this one writes the batch before: on a free second
    # core the two overlap (253,684 RSS items: ~2x the one-process rate), on a busy one it
    # gains nothing. Used only with a second CPU to run on; starting it costs about a
    # second, so small inputs are prepared in this process. Two batches are in flight, so
    # the batch size bounds the pair's memory (253,684 items: 2,500 ~385 MB together,
    # 3,000 ~405 MB).
    workers: int = Field(
        default=1, ge=0, le=1, description="processes preparing batches of files (0: none)"
    )
    worker_min_bytes: int = Field(
        default=4_000_000, ge=0, description="smallest input (bytes on disk) given a worker"
    )

    @model_validator(mode="after")
    def _chunk_sizes_ordered(self) -> IngestSettings:
        if not self.chunk_min_tokens <= self.chunk_tokens <= self.chunk_max_tokens:
            raise ValueError(
                f"passage sizes must satisfy BRIEFBOT_CHUNK_MIN_TOKENS ({self.chunk_min_tokens})"
                f" <= BRIEFBOT_CHUNK_TOKENS ({self.chunk_tokens})"
                f" <= BRIEFBOT_CHUNK_MAX_TOKENS ({self.chunk_max_tokens})"
            )
        return self

    @model_validator(mode="after")
    def _caps_ordered(self) -> IngestSettings:
        if self.max_record_bytes > self.max_file_bytes:
            raise ValueError(
                f"BRIEFBOT_INGEST_MAX_RECORD_BYTES ({self.max_record_bytes}) must not exceed"
                f" BRIEFBOT_INGEST_MAX_FILE_BYTES ({self.max_file_bytes})"
            )
        return self


class RetrievalSettings(Section):
    flat_names: ClassVar[dict[str, str]] = {"mode": "retrieval"}

    mode: Literal["bm25", "dense", "hybrid"] = Field(
        default="bm25", description="ranking: lexical, embeddings, or both fused with RRF"
    )
    candidates: int = Field(default=100, ge=10, le=2000, description="BM25 candidates rescored")
    title_weight: float = Field(default=2.0, gt=0)
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
    recency_decay: float = Field(
        default=0.3,
        ge=0.0,
        le=4.0,
        description="news recency: a passage's BM25 score is divided by 1 + this x its age "
        "(0 within 14 days, 1 from 180 days on); 0 ranks by relevance alone",
    )
    recency_reference: Literal["auto", "now", "corpus"] = Field(
        default="auto",
        description="what 'yesterday' is relative to: now, the newest article, or now unless "
        "the corpus has nothing from the last week",
    )


class AnswerSettings(Section):
    flat_names: ClassVar[dict[str, str]] = {"max_sentences": "max_answer_sentences"}

    top_k: int = Field(default=8, ge=1, le=100, description="passages used for an answer")
    abstain_threshold: float = Field(
        default=0.23,
        ge=0.0,
        le=1.0,
        description="minimum calibrated confidence of the evidence to answer (see "
        "bot/answer/confidence.py; chosen on the dev set's tuning split)",
    )
    max_sentences: int = Field(default=4, ge=1, le=10)


class LLMSettings(Section):
    flat_prefix: ClassVar[str] = "llm_"
    flat_names: ClassVar[dict[str, str]] = {"openai_api_key": "openai_api_key"}
    env_aliases: ClassVar[dict[str, tuple[str, ...]]] = {"openai_api_key": ("OPENAI_API_KEY",)}

    base_url: str | None = Field(
        default=None, description="OpenAI-compatible endpoint; LLM answers are on when set"
    )
    api_key: SecretStr | None = Field(
        default=None, description="API key for the endpoint; LLM answers are on when set"
    )
    provider: Literal["openai"] | None = Field(
        default=None,
        description="'openai': use OpenAI with OPENAI_API_KEY; without it that variable alone "
        "never turns LLM answers on",
    )
    openai_api_key: SecretStr | None = Field(
        default=None, description="OPENAI_API_KEY: fallback key of the LLM and embeddings endpoints"
    )
    model: str = "gpt-4o-mini"
    timeout: float = Field(default=20.0, gt=0, description="seconds per HTTP request")
    max_retries: int = Field(default=2, ge=0, le=10)
    deadline: float = Field(
        default=30.0, gt=0, description="seconds an answer may take before the fallback"
    )
    prompt_budget: int = Field(
        default=2500, ge=300, le=100_000, description="prompt tokens, instructions included"
    )
    max_completion_tokens: int = Field(default=600, ge=50, le=8000)
    prompts_dir: Path | None = Field(
        default=None, description="folder of prompt templates overriding the bundled ones"
    )
    history_tokens: int = Field(
        default=600, ge=0, le=20_000, description="bound on conversation history in prompts"
    )
    daily_tokens_per_chat: int = Field(
        default=200_000, ge=0, description="tokens a chat may use per UTC day; 0 = unlimited"
    )
    min_coverage: float = Field(
        default=0.3,
        ge=0.0,
        le=1.0,
        description="lexical coverage the best passage needs before the LLM is asked; lower "
        "than the extractive threshold because the model may paraphrase (verification still "
        "checks every sentence)",
    )
    keep_uncited: bool = Field(
        default=False, description="keep sentences without a valid citation, marked uncited"
    )
    daily_tokens_total: int = Field(
        default=2_000_000, ge=0, description="tokens all chats together may use per UTC day"
    )
    circuit_failures: int = Field(
        default=3, ge=0, le=100, description="endpoint failures in a row that open the circuit"
    )
    circuit_seconds: float = Field(
        default=60.0, gt=0, description="how long an open circuit skips the LLM endpoint"
    )
    max_answer_chars: int = Field(
        default=1200, ge=100, le=20_000, description="cap on an LLM answer's sentence text"
    )
    verify: Literal["claims", "model"] = Field(
        default="claims",
        description="claims: offline claim checks; model: also ask the endpoint to judge "
        "each kept sentence against its passages (costs a second call)",
    )
    temperature: float = Field(default=0.1, ge=0.0, le=2.0)

    @property
    def enabled(self) -> bool:
        """LLM answers need briefbot's own endpoint or key; OPENAI_API_KEY alone counts only
        with `provider=openai`, so a key in the shell never switches them on silently."""
        return bool(
            self.base_url or self.api_key or (self.provider == "openai" and self.openai_api_key)
        )

    @property
    def key(self) -> str | None:
        """The key sent to the endpoint: briefbot's own, else OPENAI_API_KEY."""
        key = self.api_key or self.openai_api_key
        return key.get_secret_value() if key else None


class TelegramSettings(Section):
    flat_prefix: ClassVar[str] = "telegram_"
    env_aliases: ClassVar[dict[str, tuple[str, ...]]] = {"token": ("TELEGRAM_BOT_TOKEN",)}

    token: SecretStr | None = Field(
        default=None, description="Bot API token from @BotFather (TELEGRAM_BOT_TOKEN)"
    )
    api_url: str | None = Field(
        default=None, description="Bot API base URL for a self-hosted server (default Telegram)"
    )
    webhook_url: str | None = Field(
        default=None, description="public HTTPS URL; when set the bot runs a webhook"
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="X-Telegram-Bot-Api-Secret-Token (generated when unset)"
    )
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    allowed_users: list[int] = Field(
        default_factory=list, description="user ids allowed to ask; empty = everyone"
    )
    allowed_chats: list[int] = Field(
        default_factory=list, description="group chat ids the bot serves; empty = every group"
    )
    admin_users: list[int] = Field(
        default_factory=list, description="user ids always allowed, exempt from rate limits"
    )
    admin_log_chat: int | None = Field(
        default=None, description="chat that receives error tracebacks"
    )
    rate_limit: int = Field(default=10, ge=1, description="questions per window")
    rate_window: float = Field(default=60.0, gt=0, description="seconds")
    history_turns: int = Field(default=6, ge=0, le=50)
    history_tokens: int = Field(default=1500, ge=0)
    history_idle_minutes: float = Field(default=60.0, gt=0)
    link_previews: bool = False
    max_retries: int = Field(default=3, ge=0, description="429 retries per request")
    messages_per_second: int = Field(
        default=30, ge=3, le=1000, description="flood limit over all chats (Telegram: 30)"
    )
    group_messages_per_minute: int = Field(
        default=20, ge=3, le=1000, description="flood limit per group (Telegram: 20)"
    )
    typing_interval: float = Field(default=4.5, gt=0)
    edit_interval_private: float = Field(default=1.0, ge=0)
    edit_interval_group: float = Field(
        default=5.0, ge=0, description="groups allow 20 messages a minute, edits included"
    )
    poll_timeout: int = Field(default=30, ge=0, le=50, description="getUpdates wait")
    commands_retry_seconds: float = Field(
        default=300.0,
        gt=0,
        description="first retry of a failed command menu (setMyCommands); doubles, up to 1 h",
    )

    @field_validator("allowed_users", "allowed_chats", "admin_users", mode="before")
    @classmethod
    def _id_list(cls, value: object) -> object:
        """Accept "1, 2,-100" from the environment as well as real lists."""
        if isinstance(value, str):
            return [part for part in value.replace(";", ",").replace(" ", ",").split(",") if part]
        if isinstance(value, int):
            return [value]
        return value


class BriefingSettings(Section):
    flat_prefix: ClassVar[str] = "briefing_"

    top_stories: int = Field(default=6, ge=1, le=30, description="stories shown")
    max_sentences: int = Field(default=3, ge=1, le=3, description="per story")
    window_max_hours: float = Field(
        default=24.0, gt=0, le=24 * 14, description="longest look-back of a briefing"
    )
    empty: Literal["message", "silent"] = Field(
        default="message", description="empty window: say so, or send nothing"
    )
    default_time: str = Field(default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    default_timezone: str = "UTC"
    grace_minutes: int = Field(
        default=120, ge=0, le=24 * 60, description="a missed slot is still sent this late"
    )
    duplicate_similarity: float = Field(
        default=0.8, gt=0, le=1, description="cosine above which articles are copies"
    )
    story_similarity: float = Field(
        default=0.22, gt=0, le=1, description="average-link cosine joining one story"
    )
    story_hours: float = Field(
        default=36.0, gt=0, description="articles further apart never join one story"
    )
    max_articles: int = Field(
        default=6000, ge=10, description="newest articles clustered in one briefing"
    )
    claim_lease_seconds: int = Field(
        default=600, ge=10, description="a claimed-but-unsent slot may be retaken after this"
    )
    max_attempts: int = Field(default=3, ge=1, le=20)
    sweep_seconds: float = Field(
        default=300.0, ge=1, description="catch-up tick: retries, missed slots, lost jobs"
    )
    watch_seconds: float = Field(
        default=15.0,
        ge=0.2,
        description="how often the schedule is re-read from the database (subscriptions"
        " made by the CLI or another instance)",
    )
    llm_summaries: bool = Field(
        default=True, description="LLM-written story summaries when an LLM endpoint is set"
    )
    llm_concurrency: int = Field(
        default=3, ge=1, le=16, description="story summaries requested at the same time"
    )

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r}") from exc
        return value


class FeedSettings(Section):
    flat_prefix: ClassVar[str] = "feed_"
    flat_names: ClassVar[dict[str, str]] = {"page_concurrency": "page_concurrency"}

    poll_tick: int = Field(
        default=60, ge=1, description="seconds between the bot's checks for due feeds"
    )
    default_interval: int = Field(default=30, ge=1, description="minutes between polls")
    min_interval: int = Field(
        default=5, ge=0, description="minutes; no feed is polled more often than this"
    )
    max_backoff: int = Field(default=24 * 60, ge=1, description="minutes")
    max_failures: int = Field(
        default=5, ge=1, description="consecutive failures after which a feed is paused"
    )
    concurrency: int = Field(default=8, ge=1, le=64, description="feeds fetched at once")
    page_concurrency: int = Field(default=8, ge=1, le=64, description="pages fetched at once")
    fetch_pages: bool = Field(
        default=True, description="fetch and extract the linked page of teaser entries"
    )
    teaser_chars: int = Field(
        default=600, ge=0, description="entries with less text than this are teasers"
    )

    @model_validator(mode="after")
    def _intervals_ordered(self) -> FeedSettings:
        if self.min_interval > self.default_interval:
            raise ValueError(
                f"BRIEFBOT_FEED_MIN_INTERVAL ({self.min_interval}) must not exceed "
                f"BRIEFBOT_FEED_DEFAULT_INTERVAL ({self.default_interval})"
            )
        return self


class FetchSettings(Section):
    flat_prefix: ClassVar[str] = "fetch_"

    allowlist: str = Field(
        default="",
        description="comma-separated hosts or CIDRs that may be fetched although they are "
        "loopback/private/reserved (e.g. '127.0.0.1' for a local test server)",
    )
    connect_timeout: float = Field(default=5.0, gt=0, description="seconds")
    read_timeout: float = Field(default=10.0, gt=0, description="seconds per read")
    total_timeout: float = Field(
        default=30.0, gt=0, description="deadline for a whole fetch, redirects included"
    )
    max_bytes: int = Field(
        default=5_000_000, ge=1024, description="largest body accepted, after decompression"
    )
    max_redirects: int = Field(default=5, ge=0, le=20)
    user_agent: str = "briefbot/0.1 (news digest bot; +https://github.com/briefbot/briefbot)"


class OpsSettings(Section):
    """Running the bot: log format, heartbeats (doctor, health checks)."""

    log_format: Literal["text", "json"] = Field(
        default="text", description="json: one JSON object per line, chat and user ids hashed"
    )
    heartbeat_seconds: float = Field(
        default=60.0, ge=5, description="how often a running bot stores its counters"
    )
    instance_name: str | None = Field(
        default=None, description="this process in shared counters (default: the host name)"
    )


SECTIONS: dict[str, type[Section]] = {
    "store": StoreSettings,
    "ingest": IngestSettings,
    "retrieval": RetrievalSettings,
    "answers": AnswerSettings,
    "llm": LLMSettings,
    "telegram": TelegramSettings,
    "briefing": BriefingSettings,
    "feeds": FeedSettings,
    "fetch": FetchSettings,
    "ops": OpsSettings,
}


def _flat_index() -> dict[str, tuple[str, str]]:
    """Flat name (lower case, no prefix) → (section, field), for every field of every section."""
    index: dict[str, tuple[str, str]] = {}
    for section, model in SECTIONS.items():
        for field in model.model_fields:
            flat = model.flat_name(field)
            if flat in index:
                raise RuntimeError(f"two settings share the flat name {flat!r}")
            index[flat] = (section, field)
    return index


FLAT_NAMES = _flat_index()


def env_name(section: str, field: str) -> str:
    """The documented environment variable of a setting, e.g. BRIEFBOT_LLM_BASE_URL."""
    return ENV_PREFIX + SECTIONS[section].flat_name(field).upper()


def _nest(values: Mapping[str, Any]) -> dict[str, Any]:
    """Move flat keys (`llm_base_url`) into their sections; keys already nested stay."""
    nested: dict[str, Any] = {}
    for key, value in values.items():
        if key in SECTIONS and isinstance(value, Mapping | BaseModel):
            section = nested.setdefault(key, {})
            section.update(value.model_dump() if isinstance(value, BaseModel) else value)
        elif key.lower() in FLAT_NAMES:
            section_name, field = FLAT_NAMES[key.lower()]
            nested.setdefault(section_name, {})[field] = value
        else:
            nested[key] = value
    return nested


def environment_values(env_file: str | None = ENV_FILE) -> dict[str, dict[str, str]]:
    """Every setting found in the environment or `env_file` (the environment wins), nested by
    section: the flat name (BRIEFBOT_LLM_BASE_URL), the nested one (BRIEFBOT_LLM__BASE_URL)
    and any alias (TELEGRAM_BOT_TOKEN). Values stay strings; the fields' validators parse them."""
    variables: dict[str, str] = {}
    if env_file and Path(env_file).is_file():
        file_values = dotenv_values(env_file, encoding="utf-8")
        variables.update({k.upper(): v for k, v in file_values.items() if v is not None})
    variables.update({k.upper(): v for k, v in os.environ.items()})
    nested: dict[str, dict[str, str]] = {}
    for section, model in SECTIONS.items():
        for field in model.model_fields:
            names = (
                env_name(section, field),
                f"{ENV_PREFIX}{section}__{field}".upper(),
                *model.env_aliases.get(field, ()),
            )
            for name in names:
                if name in variables:
                    nested.setdefault(section, {})[field] = variables[name]
                    break
    return nested


def _deep_update(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `changes` laid over it; mappings merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_update(merged[key], value)
        else:
            merged[key] = value
    return merged


class Settings(BaseModel):
    """All configuration, one section per pipeline stage; every field has a safe default.

    `Settings(**values)` reads the environment and `.env` under the given values: the values
    win, field by field."""

    model_config = ConfigDict(extra="ignore", validate_default=True)

    store: StoreSettings = Field(default_factory=StoreSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answers: AnswerSettings = Field(default_factory=AnswerSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    briefing: BriefingSettings = Field(default_factory=BriefingSettings)
    feeds: FeedSettings = Field(default_factory=FeedSettings)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    ops: OpsSettings = Field(default_factory=OpsSettings)

    def __init__(self, **values: Any) -> None:
        super().__init__(**_deep_update(environment_values(), values))

    @model_validator(mode="before")
    @classmethod
    def _accept_flat_keys(cls, data: Any) -> Any:
        return _nest(data) if isinstance(data, Mapping) else data

    @model_validator(mode="after")
    def _resolve_paths(self) -> Settings:
        store = self.store
        store.data_dir = Path(store.data_dir).expanduser()
        if store.db_path is None:
            store.db_path = store.data_dir / "briefbot.sqlite3"
        if store.index_dir is not None:
            store.index_dir = Path(store.index_dir).expanduser()
        return self

    def updated(self, **changes: Any) -> Settings:
        """A validated copy with some settings changed (flat or nested keys)."""
        data = self.model_dump()
        for section, values in _nest(changes).items():
            if section in SECTIONS and isinstance(values, Mapping):
                data[section].update(values)
            else:
                data[section] = values
        return type(self).model_validate(data)

    @property
    def database(self) -> Path:
        """The resolved SQLite path (never None after validation)."""
        assert self.store.db_path is not None
        return Path(self.store.db_path).expanduser()

    @property
    def llm_enabled(self) -> bool:
        return self.llm.enabled

    def secret_values(self) -> list[str]:
        """Every secret that is set (tokens, API keys): what logs and reports must redact."""
        found = (
            self.store.database_url,
            self.telegram.token,
            self.telegram.webhook_secret,
            self.llm.api_key,
            self.llm.openai_api_key,
            self.retrieval.embeddings_api_key,
        )
        return [v.get_secret_value() for v in found if v is not None and v.get_secret_value()]


def describe_errors(exc: ValidationError) -> list[str]:
    """One line per invalid setting, named by its environment variable."""
    lines = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ())]
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        if len(loc) >= 2 and loc[0] in SECTIONS and loc[1] in SECTIONS[loc[0]].model_fields:
            value = error.get("input")
            secret = "SecretStr" in str(SECTIONS[loc[0]].model_fields[loc[1]].annotation)
            shown = "" if secret or isinstance(value, Mapping) else f"={value}"
            lines.append(f"{env_name(loc[0], loc[1])}{shown}: {message}")
        else:
            lines.append(f"{'.'.join(loc) or 'settings'}: {message}")
    return lines


def iter_env_names() -> Iterator[tuple[str, str, str]]:
    """(section, field, environment variable) for every setting, in section order."""
    for section, model in SECTIONS.items():
        for field in model.model_fields:
            yield section, field, env_name(section, field)
