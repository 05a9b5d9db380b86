"""`briefbot doctor [--json]`: check the configuration before going live; exit 0 when all is
well (nothing failed), 1 otherwise."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.cli.common import data_dir_overrides, print_json
from bot.store.errors import StoreError
from bot.store.timefmt import from_db, utcnow

if TYPE_CHECKING:
    from bot.ops.doctor import DoctorReport

MARKS = {"ok": "ok  ", "off": "off ", "warn": "WARN", "fail": "FAIL"}
SHOWN_COUNTERS = (
    ("updates", "briefbot_updates_total"),
    ("answers", "briefbot_answers_total"),
    ("LLM tokens", "briefbot_llm_tokens_total"),
    ("briefings sent", "briefbot_briefings_total{status=sent}"),
    ("briefings failed", "briefbot_briefings_total{status=failed}"),
    ("feed polls", "briefbot_feed_polls_total"),
)


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "doctor",
        parents=[parent],
        help="check settings, database, Telegram, LLM, embeddings and feeds",
        description="Check every setting, the database, the Telegram token (getMe), the LLM "
        "and embeddings endpoints and the feeds; one line per finding. Exit 0 when nothing "
        "fails. Running bots' counters are shown from their heartbeats.",
    )
    p.add_argument("--json", action="store_true", help="the report as JSON, counters included")
    p.add_argument("--offline", action="store_true", help="skip the network probes")
    p.set_defaults(func=run)
    register_health(sub, parent)


def run(args: argparse.Namespace) -> int:
    from bot.ops.doctor import diagnose, load_settings
    from bot.telegram.health import check_bot

    settings, problems = load_settings(**data_dir_overrides(args))
    report = asyncio.run(diagnose(settings, problems, telegram=check_bot, probe=not args.offline))
    if args.json:
        print_json(report)
    else:
        print_report(report)
    return 0 if report.ok else 1


def print_report(report: DoctorReport, now: datetime | None = None) -> None:
    for finding in report.findings:
        print(f"{MARKS[finding.status]}  {finding.check:<10}  {finding.message}")
    for name, state in report.instances.items():
        print(f"bot   {name}: {_instance_line(state, now or utcnow())}")
    print("all is well" if report.ok else "problems found (FAIL lines)")


def _instance_line(state: dict[str, Any], now: datetime) -> str:
    updated = from_db(state.get("updated_at"))
    age = f"{int((now - updated).total_seconds())} s ago" if updated else "never"
    counters: dict[str, float] = state.get("counters", {})
    parts = []
    for label, prefix in SHOWN_COUNTERS:
        total = sum(v for k, v in counters.items() if k == prefix or k.startswith(prefix + "{"))
        parts.append(f"{label} {int(total):,}")
    return f"{state.get('mode', '?')}, heartbeat {age}; " + ", ".join(parts)


def register_health(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "health",
        parents=[parent],
        help="is the bot on this host alive? (container/systemd health checks)",
        description="Webhook mode: GET /healthz of the local server. Long polling: this "
        "host's bot stored a heartbeat within three heartbeat intervals. Exit 0 when alive.",
    )
    p.set_defaults(func=run_health)


def run_health(args: argparse.Namespace) -> int:
    from bot.ops.doctor import heartbeat_of, load_settings
    from bot.ops.heartbeat import instance_name

    settings, _ = load_settings(**data_dir_overrides(args))
    if settings.telegram.webhook_url:
        import httpx  # only here: every other command starts without it

        port = settings.telegram.webhook_port
        try:
            reply = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5.0)
        except httpx.HTTPError as exc:
            print(f"unhealthy: /healthz on port {port} did not answer ({exc})", file=sys.stderr)
            return 1
        print(f"/healthz: HTTP {reply.status_code}", file=sys.stderr)
        return 0 if reply.status_code == 200 else 1
    name = instance_name(settings.ops.instance_name)
    try:
        state = heartbeat_of(settings, name)
    except StoreError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    updated = from_db(state.get("updated_at")) if state else None
    if updated is None:
        print(f"unhealthy: no heartbeat from {name} yet", file=sys.stderr)
        return 1
    age = (utcnow() - updated).total_seconds()
    if age > 3 * settings.ops.heartbeat_seconds:
        print(f"unhealthy: last heartbeat from {name} {int(age)} s ago", file=sys.stderr)
        return 1
    print(f"alive: heartbeat from {name} {int(age)} s ago", file=sys.stderr)
    return 0
