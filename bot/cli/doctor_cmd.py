"""`briefbot doctor [--json]`: check the configuration before going live; exit 0 when all is
well (nothing failed), 1 otherwise."""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime
from typing import Any

from bot.cli.common import print_json
from bot.ops.doctor import DoctorReport, diagnose, load_settings
from bot.store.timefmt import from_db, utcnow

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


def run(args: argparse.Namespace) -> int:
    from bot.telegram.health import check_bot

    overrides: dict[str, Any] = {}
    if args.data_dir:
        overrides = {"data_dir": args.data_dir, "db_path": args.data_dir / "briefbot.sqlite3"}
    settings, problems = load_settings(**overrides)
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
