"""`briefbot ingest PATH...`"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.cli.common import TerminalProgress, opened_engine, print_json, settings_from
from bot.engine import Engine
from bot.errors import BriefbotError
from bot.models import IngestReport, Rejection


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "ingest",
        parents=[parent],
        help="add articles from files, folders and http(s) URLs",
        description="Add .txt/.md/.html/.json/.jsonl(.gz) files or folders, or article pages "
        "by http(s) URL (fetched safely and extracted).",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH|URL")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--workers",
        type=int,
        choices=(0, 1),
        help="processes preparing batches of large inputs while this one writes "
        "(default: BRIEFBOT_INGEST_WORKERS; 0: everything in one process)",
    )
    p.set_defaults(func=run)


EXIT_CODES = """exit status:
  0  something was added, or nothing was new (duplicates only); rejected items are listed
  1  nothing was added and something was rejected (bad records, missing files, failed URLs)
  2  bad arguments or settings"""


def exit_code(report: IngestReport) -> int:
    """Scripts can tell a run that stored nothing because of bad input from a no-op."""
    return 1 if report.added == 0 and report.rejected else 0


def print_report(report: IngestReport, *, limit: int = 50) -> None:
    print(
        f"added {report.added}, {report.duplicates} duplicates, "
        f"{len(report.rejected)} rejected, {len(report.warnings)} warnings"
        + (
            f", {report.near_duplicates} near-duplicates kept as alternate sources"
            if report.near_duplicates
            else ""
        )
    )
    for label, items in (("rejected", report.rejected), ("warning", report.warnings)):
        for item in items[:limit]:
            print(f"  {label}: {item.origin}: {item.reason}")
        if len(items) > limit:
            print(f"  … and {len(items) - limit} more {label} items")


def is_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def ingest_urls(engine: Engine, urls: list[str], report: IngestReport) -> None:
    """Each URL is fetched on its own; a failure is a rejection and the others go on."""
    for url in urls:
        try:
            result = asyncio.run(engine.ingest_url(url))
        except BriefbotError as exc:
            report.rejected.append(Rejection(origin=url, reason=str(exc)))
            continue
        if result.status == "added":
            report.added += 1
        elif result.status == "duplicate":
            report.duplicates += 1
        elif result.status == "near_duplicate":
            report.near_duplicates += 1
        else:
            report.rejected.append(Rejection(origin=url, reason=result.reason or "not stored"))


def run(args: argparse.Namespace) -> int:
    urls = [p for p in args.paths if is_url(p)]
    paths = [Path(p) for p in args.paths if not is_url(p)]
    settings = settings_from(args)
    if args.workers is not None:
        settings.ingest.workers = args.workers
    with opened_engine(args, seed=False, settings=settings) as engine:
        report = IngestReport()
        if paths:
            progress = TerminalProgress("ingesting")
            report = engine.ingest(paths, progress)
            progress.done()
        ingest_urls(engine, urls, report)
    if args.json:
        print_json(report.model_dump(mode="json", exclude={"added_ids"}))
    else:
        print_report(report)
    if exit_code(report) == 0:
        return 0
    missing = [r for r in report.rejected if r.reason == "no such file or directory"]
    failed_urls = [r for r in report.rejected if is_url(r.origin)]
    if missing and len(missing) == len(args.paths):
        print(f"briefbot: error: no such file or directory: {missing[0].origin}", file=sys.stderr)
    elif urls and len(failed_urls) == len(args.paths):
        print(f"briefbot: error: {failed_urls[0].reason}", file=sys.stderr)
    else:
        count = len(report.rejected)
        print(
            f"briefbot: error: nothing added; {count} item{'s' * (count != 1)} rejected",
            file=sys.stderr,
        )
    return 1
