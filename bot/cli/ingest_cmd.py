"""`briefbot ingest PATH...`"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.common import TerminalProgress, open_engine, print_json
from bot.models import IngestReport


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "ingest",
        parents=[parent],
        help="add articles from files and folders",
        description="Add .txt/.md/.html/.json/.jsonl(.gz) files or folders.",
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def print_report(report: IngestReport, *, limit: int = 50) -> None:
    print(
        f"added {report.added}, {report.duplicates} duplicates, "
        f"{len(report.rejected)} rejected, {len(report.warnings)} warnings"
    )
    for label, items in (("rejected", report.rejected), ("warning", report.warnings)):
        for item in items[:limit]:
            print(f"  {label}: {item.origin}: {item.reason}")
        if len(items) > limit:
            print(f"  … and {len(items) - limit} more {label} items")


def run(args: argparse.Namespace) -> int:
    engine = open_engine(args, seed=False)
    try:
        progress = TerminalProgress("ingesting")
        report = engine.ingest(args.paths, progress)
        progress.done()
    finally:
        engine.close()
    if args.json:
        print_json(report.model_dump(mode="json", exclude={"added_ids"}))
    else:
        print_report(report)
    missing = [r for r in report.rejected if r.reason == "no such file or directory"]
    if missing and len(missing) == len(args.paths):
        print(f"briefbot: error: no such file or directory: {missing[0].origin}", file=sys.stderr)
        return 1
    return 0
