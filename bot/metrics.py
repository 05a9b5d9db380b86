"""Counters an operator watches, in Prometheus form (`GET /metrics` in webhook mode) and as a
flat snapshot the running bot stores for `briefbot doctor --json` (polling mode has no port).

Each `Metrics` has its own registry, so two engines in one process (tests) never share counts.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

CONTENT_TYPE = CONTENT_TYPE_LATEST
LLM_SECONDS_BUCKETS = (0.25, 0.5, 1, 2, 4, 8, 15, 30, 60)


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter("briefbot_updates", "Telegram updates handled", registry=registry)
        self.answers = Counter(
            "briefbot_answers",
            "answers given, by who wrote them and why the LLM was not used",
            ["mode", "fallback_reason"],
            registry=registry,
        )
        self.llm_tokens = Counter(
            "briefbot_llm_tokens", "LLM tokens used", ["kind"], registry=registry
        )
        self.llm_seconds = Histogram(
            "briefbot_llm_request_seconds",
            "duration of LLM calls that got a reply",
            buckets=LLM_SECONDS_BUCKETS,
            registry=registry,
        )
        self.llm_failures = Counter(
            "briefbot_llm_failures",
            "LLM calls that failed, by reason",
            ["reason"],
            registry=registry,
        )
        self.llm_circuit_open = Gauge(
            "briefbot_llm_circuit_open",
            "1 while the LLM endpoint is skipped after repeated failures",
            registry=registry,
        )
        self.briefings = Counter(
            "briefbot_briefings",
            "scheduled briefing slots by outcome (sent, failed, blocked, empty, skipped, retry)",
            ["status"],
            registry=registry,
        )
        self.feed_polls = Counter(
            "briefbot_feed_polls", "feed polls by outcome", ["status"], registry=registry
        )
        self.articles_removed = Counter(
            "briefbot_articles_removed", "articles removed by an operator", registry=registry
        )

    # --- recording -----------------------------------------------------------------------
    def answer(self, mode: str, fallback_reason: str | None) -> None:
        self.answers.labels(mode, fallback_reason or "").inc()

    def llm_call(self, prompt_tokens: int, completion_tokens: int, seconds: float) -> None:
        self.llm_tokens.labels("prompt").inc(prompt_tokens)
        self.llm_tokens.labels("completion").inc(completion_tokens)
        self.llm_seconds.observe(seconds)

    def llm_failure(self, reason: str) -> None:
        self.llm_failures.labels(reason).inc()

    def briefing(self, status: str) -> None:
        self.briefings.labels(status).inc()

    def feed_poll(self, status: str) -> None:
        self.feed_polls.labels(status).inc()

    # --- reading -------------------------------------------------------------------------
    def exposition(self) -> bytes:
        """The Prometheus text format."""
        return generate_latest(self.registry)

    def snapshot(self) -> dict[str, float]:
        """Every counter and gauge as `name{label=value,…}` → value (no buckets, no
        creation times): what `doctor --json` shows for a bot without an HTTP port."""
        flat: dict[str, float] = {}
        for family in self.registry.collect():
            for sample in family.samples:
                if sample.name.endswith(("_created", "_bucket")):
                    continue
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                flat[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
        return flat
