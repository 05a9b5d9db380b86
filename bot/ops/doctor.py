"""`briefbot doctor`: is this configuration ready to run? One line per finding.

Each check ends `ok`, `off` (not configured; fine), `warn` (works, but look: a feed retrying,
a schema that the next start migrates) or `fail` (will not work as configured). The report is
all well — exit 0 — when nothing fails. Secrets are never part of a finding.

The Telegram check comes from the Telegram layer (`bot.telegram.health`), handed in, so this
module stays free of Telegram imports like the rest of the core.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import BaseModel, Field, ValidationError

from bot.config import SECTIONS, Settings, describe_errors, env_name
from bot.store.errors import StoreError
from bot.store.port import Store, database_label, open_database

Status = Literal["ok", "off", "warn", "fail"]
PROBE_TIMEOUT = 5.0
TOKEN_SHAPE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")
WEBHOOK_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
OWN_ROUTES = ("/healthz", "/metrics")  # the webhook server's own; no webhook path may take them


class Finding(BaseModel):
    check: str
    status: Status
    message: str


class DoctorReport(BaseModel):
    ok: bool
    findings: list[Finding]
    instances: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="running bots' last heartbeat: mode, counters"
    )


TelegramCheck = Callable[[Settings], Awaitable[list[Finding]]]


# --- settings --------------------------------------------------------------------------
def load_settings(**overrides: Any) -> tuple[Settings, list[Finding]]:
    """Settings from the environment, and one finding per invalid value (named by its
    environment variable; secrets never shown). Invalid values are replaced by their
    defaults — a whole section when the error is between its fields — so that the other
    checks can still run."""
    try:
        return Settings(**overrides), []
    except ValidationError as exc:
        findings = [
            Finding(check="settings", status="fail", message=line) for line in describe_errors(exc)
        ]
        reset: dict[str, Any] = {}
        for error in exc.errors():
            loc = [str(p) for p in error.get("loc", ())]
            if not loc or loc[0] not in SECTIONS:
                continue
            model = SECTIONS[loc[0]]
            fields = (
                [loc[1]] if len(loc) > 1 and loc[1] in model.model_fields else model.model_fields
            )
            for field in fields:
                default = model.model_fields[field].get_default(call_default_factory=True)
                reset.setdefault(loc[0], {})[field] = default
        return Settings(**{**overrides, **reset}), findings


def setting_findings(settings: Settings) -> list[Finding]:
    """Values that are each valid but will not work where they are used."""
    problems: list[str] = []
    warnings: list[str] = []
    urls = (("llm", "base_url"), ("retrieval", "embeddings_base_url"), ("telegram", "api_url"))
    for section, name in urls:
        value = getattr(getattr(settings, section), name)
        if value and urlparse(value).scheme not in ("http", "https"):
            problems.append(f"{env_name(section, name)}: not an http(s) URL ({value!r})")
    hook = settings.telegram.webhook_url
    if hook:
        parsed = urlparse(hook)
        if parsed.scheme != "https" and not settings.telegram.api_url:
            problems.append(
                f"BRIEFBOT_TELEGRAM_WEBHOOK_URL: Telegram only calls https URLs ({hook!r})"
            )
        if "/" + parsed.path.strip("/") in OWN_ROUTES:
            problems.append(
                f"BRIEFBOT_TELEGRAM_WEBHOOK_URL: the path {parsed.path!r} is taken by "
                "/healthz or /metrics"
            )
    secret = settings.telegram.webhook_secret
    if secret is not None and not WEBHOOK_SECRET_SHAPE.match(secret.get_secret_value()):
        problems.append(
            "BRIEFBOT_TELEGRAM_WEBHOOK_SECRET: 1-256 characters of A-Z, a-z, 0-9, _ and - only"
        )
    if settings.llm.openai_api_key and not settings.llm_enabled:
        warnings.append(
            "OPENAI_API_KEY is set but LLM answers are off: set BRIEFBOT_LLM_PROVIDER=openai "
            "to use OpenAI with it, or BRIEFBOT_LLM_BASE_URL/BRIEFBOT_LLM_API_KEY"
        )
    data_dir = _existing_parent(settings.database.parent)
    if not os.access(data_dir, os.W_OK):
        problems.append(f"BRIEFBOT_DATA_DIR: {data_dir} is not writable")
    findings = [Finding(check="settings", status="fail", message=m) for m in problems]
    findings += [Finding(check="settings", status="warn", message=m) for m in warnings]
    return findings


def _existing_parent(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


# --- database, feeds, heartbeats -------------------------------------------------------
def database_findings(settings: Settings) -> tuple[list[Finding], dict[str, dict[str, Any]]]:
    path = database_label(settings)
    if settings.store.database_url is None and not settings.database.exists():
        note = f"no database yet at {path}; it is created (and seeded) on first use"
        return [Finding(check="database", status="ok", message=note)], {}
    try:
        store = Store(open_database(settings, migrate_schema=False))
    except StoreError as exc:
        return [Finding(check="database", status="fail", message=str(exc))], {}
    try:
        have, want = store.schema_versions()
        counts = store.corpus_counts()
        shown = ", ".join(f"{n:,} {name}" for name, n in counts.items())
        findings = []
        if have > want:
            findings.append(
                Finding(
                    check="database",
                    status="fail",
                    message=f"{path}: schema {have} is newer than this briefbot ({want})",
                )
            )
        else:
            status: Status = "ok" if have == want else "warn"
            migrate = "" if have == want else f", migrated to {want} at the next start"
            findings.append(
                Finding(
                    check="database",
                    status=status,
                    message=f"{path}: schema {have}{migrate}; {shown}",
                )
            )
        if have == want:
            findings += _feed_findings(store, settings)
        instances = store.instances.all() if have == want else {}
        return findings, instances
    finally:
        store.close()


def heartbeat_of(settings: Settings, name: str) -> dict[str, Any] | None:
    """The stored heartbeat of the instance `name` (None before its first beat)."""
    store = Store(open_database(settings, migrate_schema=False))
    try:
        return store.instances.all().get(name)
    finally:
        store.close()


def _feed_findings(store: Store, settings: Settings) -> list[Finding]:
    feeds = store.feeds.all()
    if not feeds:
        return [Finding(check="feeds", status="off", message="no feeds (briefbot feeds add URL)")]
    findings = []
    for feed in feeds:
        error = f": {feed.last_error}" if feed.last_error else ""
        if feed.paused:
            findings.append(
                Finding(
                    check="feeds",
                    status="fail",
                    message=f"feed {feed.id} ({feed.label}) paused after "
                    f"{feed.consecutive_failures} failures{error} (briefbot feeds resume "
                    f"{feed.id})",
                )
            )
        elif feed.consecutive_failures:
            findings.append(
                Finding(
                    check="feeds",
                    status="warn",
                    message=f"feed {feed.id} ({feed.label}) failing, "
                    f"{feed.consecutive_failures} in a row{error}",
                )
            )
    healthy = len(feeds) - len(findings)
    findings.insert(
        0, Finding(check="feeds", status="ok", message=f"{len(feeds)} feeds, {healthy} healthy")
    )
    return findings


# --- LLM and embeddings ------------------------------------------------------------------
def llm_summary(settings: Settings) -> str:
    """ "LLM answers: on, gpt-4o-mini at https://…/v1 (key from …)" — what `run` logs."""
    if not settings.llm_enabled:
        why = " (OPENAI_API_KEY alone is ignored without BRIEFBOT_LLM_PROVIDER=openai)"
        return "LLM answers: off, extractive" + (why if settings.llm.openai_api_key else "")
    where = settings.llm.base_url or "https://api.openai.com/v1"
    if settings.llm.api_key:
        key = "key from BRIEFBOT_LLM_API_KEY"
    elif settings.llm.openai_api_key:
        key = "key from OPENAI_API_KEY"
    else:
        key = "no key"
    budget = settings.llm.daily_tokens_total
    total = f"{budget:,} tokens/day in all" if budget else "no daily total"
    return f"LLM answers: on, {settings.llm.model} at {where} ({key}; {total})"


async def llm_findings(settings: Settings, *, probe: bool = True) -> list[Finding]:
    summary = llm_summary(settings)
    if not settings.llm_enabled or not probe:
        return [
            Finding(check="llm", status="ok" if settings.llm_enabled else "off", message=summary)
        ]
    import openai

    from bot.llm.client import make_openai

    client = make_openai(settings).with_options(timeout=PROBE_TIMEOUT, max_retries=0)
    try:
        page = await client.models.list()
        names = [m.id for m in page.data]
    except openai.APIStatusError as exc:
        return [
            Finding(
                check="llm",
                status="fail",
                message=f"{summary}: /models answered HTTP {exc.status_code}",
            )
        ]
    except openai.APIError as exc:
        return [
            Finding(
                check="llm", status="fail", message=f"{summary}: unreachable ({type(exc).__name__})"
            )
        ]
    finally:
        await client.close()
    if names and settings.llm.model not in names:
        listed = ", ".join(names[:8]) + (" …" if len(names) > 8 else "")
        return [
            Finding(
                check="llm",
                status="fail",
                message=f"{summary}: model {settings.llm.model!r} is not served ({listed})",
            )
        ]
    return [Finding(check="llm", status="ok", message=f"{summary}; reachable")]


async def embeddings_findings(settings: Settings, *, probe: bool = True) -> list[Finding]:
    if settings.retrieval.mode == "bm25":
        return [Finding(check="embeddings", status="off", message="retrieval is bm25: none used")]
    if not settings.retrieval.embeddings_base_url:
        message = f"{settings.retrieval.mode} retrieval with offline wordllama embeddings"
        return [Finding(check="embeddings", status="ok", message=message)]
    where = f"{settings.retrieval.embeddings_model} at {settings.retrieval.embeddings_base_url}"
    if not probe:
        return [Finding(check="embeddings", status="ok", message=where)]
    from bot.retrieval.embeddings import EmbeddingError, make_embedder

    try:
        vectors = await asyncio.to_thread(make_embedder(settings).embed, ["briefbot doctor"])
    except EmbeddingError as exc:
        return [Finding(check="embeddings", status="fail", message=f"{where}: {exc}")]
    dims = vectors.shape[1] if vectors.ndim == 2 else 0
    return [Finding(check="embeddings", status="ok", message=f"{where}: {dims} dimensions")]


# --- Telegram (shape only; getMe comes from the Telegram layer) ---------------------------
def token_findings(settings: Settings) -> list[Finding] | None:
    """A finding when there is no token or it cannot be one; None when getMe should decide."""
    token = settings.telegram.token
    if token is None or not token.get_secret_value().strip():
        message = "no token (TELEGRAM_BOT_TOKEN): `briefbot run` cannot start; the CLI works"
        return [Finding(check="telegram", status="off", message=message)]
    if not TOKEN_SHAPE.match(token.get_secret_value().strip()):
        message = (
            "TELEGRAM_BOT_TOKEN does not look like a bot token (digits:letters from @BotFather)"
        )
        return [Finding(check="telegram", status="fail", message=message)]
    return None


# --- the whole report ----------------------------------------------------------------------
async def diagnose(
    settings: Settings,
    setting_problems: list[Finding] | None = None,
    *,
    telegram: TelegramCheck | None = None,
    probe: bool = True,
) -> DoctorReport:
    """Every check; network probes (LLM /models, embeddings, getMe) run concurrently."""
    findings = list(setting_problems or []) + setting_findings(settings)
    if not any(f.check == "settings" for f in findings):
        findings.insert(0, Finding(check="settings", status="ok", message="every setting valid"))
    stored, instances = await asyncio.to_thread(database_findings, settings)
    shape = token_findings(settings)

    async def no_telegram() -> list[Finding]:
        return shape or []

    telegram_part = telegram(settings) if (telegram and shape is None and probe) else no_telegram()
    llm, embeddings, bot = await asyncio.gather(
        llm_findings(settings, probe=probe),
        embeddings_findings(settings, probe=probe),
        telegram_part,
    )
    findings += stored + bot + llm + embeddings
    return DoctorReport(
        ok=not any(f.status == "fail" for f in findings), findings=findings, instances=instances
    )
