"""Foundation benchmark: ingest rate, DB size, retrieval latency and Hit@5, peak RSS, cold ask.

    python benchmarks/core.py                     # all 253,684 items of the RSS corpus
    python benchmarks/core.py --items 20000       # an N-item prefix
    python benchmarks/core.py --markdown          # also print the docs/benchmarks.md rows

Queries (--query-kind headline, the default): titles of stored articles whose title is unique
in the store, so the target is unambiguous; --query-kind lead: the first 12 words of an
article's text. Both sampled with a fixed seed. Hit@5: the article the query came from is
among the top 5 results. bm25s and rank-bm25 index the same stored articles (title + text)
with briefbot's own analyser (words, Porter stems, stop-words dropped), k1=1.2, b=0.75, and
answer the same queries. The briefbot rows measure the BM25 `Retriever` and the `Ingestor`
directly; cold `ask` runs the real CLI (`python -m bot ask`) in a fresh process.
Every measurement runs in its own process (see workers.py) so peak RSS is that stage's own.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.corpora import RSS  # noqa: E402
from benchmarks.reporting import cold_ask, machine_record, run_worker  # noqa: E402

CORPUS = RSS
WORKERS = Path(__file__).resolve().parent / "workers.py"
FLOORS = {"ingest_items_per_s": 2000, "p95_ms": 20.0, "cold_ask_s": 1.0, "query_rss_mb": 300}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", type=Path, default=CORPUS, help="JSONL(.gz) of RSS items")
    p.add_argument("--items", type=int, default=None, help="ingest this many items (a prefix)")
    p.add_argument("--workdir", type=Path, default=Path("/tmp/briefbot-bench"))
    p.add_argument("--queries", type=int, default=300, help="size of the fixed query set")
    p.add_argument("--seed", type=int, default=2, help="query sampling seed")
    p.add_argument(
        "--query-kind",
        choices=["headline", "lead"],
        default="headline",
        help="headline: an article's title; lead: its text's first 12 words",
    )
    p.add_argument("--repeats", type=int, default=5, help="timed passes over the queries")
    p.add_argument("--ingest-runs", type=int, default=1, help="fresh ingests; median reported")
    p.add_argument("--reuse-db", action="store_true", help="skip ingest when the DB exists")
    p.add_argument("--ask-runs", type=int, default=7, help="cold `briefbot ask` processes")
    p.add_argument(
        "--rank-bm25-items",
        type=int,
        default=None,
        help="index only this many stored articles in rank-bm25 (default: all)",
    )
    p.add_argument("--rank-bm25-repeats", type=int, default=0, help="0: time the Hit@5 pass itself")
    p.add_argument("--skip-baselines", action="store_true", help="no bm25s / rank-bm25")
    p.add_argument("--json-out", type=Path, help="write all figures here as JSON")
    p.add_argument("--markdown", action="store_true", help="print a Markdown summary")
    return p.parse_args(argv)


def worker(kind: str, **args: Any) -> dict[str, Any]:
    return run_worker(WORKERS, kind, **args)


def count_lines(path: Path) -> int:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        return sum(1 for _ in handle)


def prefix_file(corpus: Path, items: int, total: int, workdir: Path) -> Path:
    """The corpus itself, or its first `items` lines in a .jsonl.gz of their own."""
    if items >= total:
        return corpus
    target = workdir / f"prefix-{items}.jsonl.gz"
    if not target.exists():
        opener = gzip.open if corpus.name.endswith(".gz") else open
        tmp = target.with_suffix(".tmp")
        with opener(corpus, "rb") as src, gzip.open(tmp, "wb", compresslevel=1) as dst:
            for n, line in enumerate(src):
                if n >= items:
                    break
                dst.write(line)
        tmp.rename(target)
    return target


def ingest(source: Path, items: int, data_dir: Path, runs: int) -> dict[str, Any]:
    results = []
    for _ in range(runs):
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
        results.append(worker("ingest", source=source, items=items, data_dir=data_dir))
        print(f"  ingest: {results[-1]['items_per_s']:,.0f} items/s", file=sys.stderr)
    summary = dict(results[-1])
    for key in ("seconds", "items_per_s", "cpu_seconds", "items_per_cpu_s", "peak_rss_mb"):
        summary[key] = statistics.median(r[key] for r in results)
    summary["runs"] = [round(r["items_per_s"]) for r in results]
    return summary


def query_set(db_path: Path, size: int, seed: int, kind: str) -> list[dict[str, Any]]:
    """A reproducible sample of queries, each with the stored article it should find.

    headline: the article's title, among titles unique in the store (at least 3 words).
    lead: the first 12 words of the article's text (texts of at least 150 characters) --
    a harder, question-like probe where the title's words are not all given.
    """
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    rows = conn.execute(
        "SELECT id, title, substr(text, 1, 400), length(text) FROM articles ORDER BY id"
    ).fetchall()
    conn.close()
    if kind == "lead":
        eligible = [(i, " ".join(text.split()[:12])) for i, _, text, n in rows if n >= 150]
    else:
        counts = Counter(" ".join(t.lower().split()) for _, t, _, _ in rows)
        eligible = [
            (i, t)
            for i, t, _, _ in rows
            if counts[" ".join(t.lower().split())] == 1 and len(t.split()) >= 3
        ]
    chosen = random.Random(seed).sample(eligible, min(size, len(eligible)))
    return [{"q": q, "article_id": i} for i, q in chosen]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    total = count_lines(args.corpus)
    items = min(args.items or total, total)
    source = prefix_file(args.corpus, items, total, args.workdir)
    data_dir = args.workdir / f"store-{items}"
    db_path = data_dir / "briefbot.sqlite3"
    figures: dict[str, Any] = {
        "machine": machine_record(),
        "items": items,
        "corpus": str(args.corpus),
        "query_kind": args.query_kind,
    }
    print(f"briefbot benchmark: {items:,} items from {args.corpus.name}", file=sys.stderr)

    if args.reuse_db and db_path.exists():
        figures["ingest"] = None
    else:
        figures["ingest"] = ingest(source, items, data_dir, args.ingest_runs)
    figures["db_bytes"] = db_path.stat().st_size

    queries = query_set(db_path, args.queries, args.seed, args.query_kind)
    queries_file = args.workdir / f"queries-{args.query_kind}-{items}-{args.seed}.json"
    queries_file.write_text(json.dumps(queries))
    common = {"queries": queries_file, "repeats": args.repeats}

    def save() -> None:
        """Figures so far, so a long run that is stopped still leaves its measurements."""
        if args.json_out:
            args.json_out.write_text(json.dumps(figures, indent=2, default=str) + "\n")

    save()
    print("  querying briefbot …", file=sys.stderr)
    figures["briefbot"] = worker("briefbot", data_dir=data_dir, **common)
    figures["cold_ask"] = cold_ask(data_dir, [q["q"] for q in queries], args.ask_runs)
    save()
    if not args.skip_baselines:
        print("  querying bm25s …", file=sys.stderr)
        figures["bm25s"] = worker("bm25s", db=db_path, **common)
        save()
        print("  querying rank-bm25 (slow) …", file=sys.stderr)
        figures["rank_bm25"] = worker(
            "rank-bm25",
            db=db_path,
            queries=queries_file,
            repeats=args.rank_bm25_repeats,
            limit=args.rank_bm25_items,
        )
    figures["load_end"] = os.getloadavg()
    figures["floors"] = check_floors(figures)

    text = json.dumps(figures, indent=2, default=str)
    if args.json_out:
        args.json_out.write_text(text + "\n")
    print(text)
    if args.markdown:
        print(markdown(figures))
    return 0


def check_floors(f: dict[str, Any]) -> dict[str, Any]:
    """Each floor against wall-clock figures and against CPU time (the shared-machine view)."""
    ing, bb, ask = f.get("ingest") or {}, f["briefbot"], f["cold_ask"]
    measured = {
        "ingest_items_per_s": (ing.get("items_per_s"), ing.get("items_per_cpu_s")),
        "p95_ms": (bb["p95_ms"], bb["cpu_p95_ms"]),
        "cold_ask_s": (ask["median_s"], ask["cpu_median_s"]),
        "query_rss_mb": (bb["peak_rss_mb"], bb["peak_rss_mb"]),
    }
    result = {}
    for key, floor in FLOORS.items():
        wall, cpu = measured[key]

        def met(value: float | None, key: str = key, floor: float = floor) -> bool | None:
            if value is None:
                return None
            return value >= floor if key == "ingest_items_per_s" else value <= floor

        result[key] = {"floor": floor, "wall": wall, "cpu": cpu, "met": met(wall)}
        result[key]["met_cpu"] = met(cpu)
    return result


def markdown(f: dict[str, Any]) -> str:
    m, bb, ask = f["machine"], f["briefbot"], f["cold_ask"]
    ing = f.get("ingest") or {}
    lines = [
        f"Run {m['date']}, {m['cpus']} cores, Python {m['python']}, SQLite {m['sqlite']}, "
        f"{f['items']:,} items, {f['query_kind']} queries; "
        f"load average at the end {f['load_end'][0]:.1f}.",
        "",
        "| Measure | Wall clock | CPU time | Floor |",
        "|---|---|---|---|",
    ]
    if ing:
        lines.append(
            f"| Ingest rate ({ing['added']:,} added, {ing['duplicates']:,} duplicates, "
            f"{ing.get('near_duplicates', 0):,} near-duplicates, {ing['rejected']:,} rejected) "
            f"| {ing['items_per_s']:,.0f} items/s "
            f"({ing['seconds']:.0f} s) | {ing['items_per_cpu_s']:,.0f} items/CPU-s "
            f"| >= 2,000 items/s |"
        )
        lines.append(f"| Peak RSS while ingesting | {ing['peak_rss_mb']:.0f} MB | | |")
    lines += [
        f"| DB size | {f['db_bytes'] / 1e6:,.0f} MB | | |",
        f"| Query latency p50 / p95 ({bb['queries']} queries) | {bb['p50_ms']:.1f} / "
        f"{bb['p95_ms']:.1f} ms | {bb['cpu_p50_ms']:.1f} / {bb['cpu_p95_ms']:.1f} ms "
        "| p95 <= 20 ms |",
        f"| First pass (empty in-process caches) p50 / p95 | {bb['first_pass_p50_ms']:.1f} / "
        f"{bb['first_pass_p95_ms']:.1f} ms | p95 {bb['first_pass_cpu_p95_ms']:.1f} ms | |",
        f"| Peak RSS while querying | {bb['peak_rss_mb']:.0f} MB | | <= 300 MB |",
        f"| Cold `briefbot ask` (median of {ask['runs']}) | {ask['median_s']:.2f} s "
        f"(bare `python -c pass`: {ask['python_startup_s']:.2f} s) "
        f"| {ask['cpu_median_s']:.2f} s | <= 1 s |",
        "",
        "| Retriever | Docs | Index build | QPS | p50 / p95 ms (wall) "
        "| p50 / p95 ms (CPU) | Hit@5 | Peak RSS |",
        "|---|---|---|---|---|---|---|---|",
        f"| briefbot (FTS5 + rescoring) | {bb['documents']:,} | during ingest | {bb['qps']:,.0f} "
        f"| {bb['p50_ms']:.1f} / {bb['p95_ms']:.1f} | {bb['cpu_p50_ms']:.1f} / "
        f"{bb['cpu_p95_ms']:.1f} | {bb['hit_at_5']:.3f} | {bb['peak_rss_mb']:.0f} MB |",
    ]
    for name, key in (("bm25s", "bm25s"), ("rank-bm25", "rank_bm25")):
        r = f.get(key)
        if r:
            lines.append(
                f"| {name} | {r['documents']:,} | {r['build_s']:.0f} s | {r['qps']:,.1f} "
                f"| {r['p50_ms']:.1f} / {r['p95_ms']:.1f} | {r['cpu_p50_ms']:.1f} / "
                f"{r['cpu_p95_ms']:.1f} | {r['hit_at_5']:.3f} | {r['peak_rss_mb']:.0f} MB |"
            )
    if f.get("bm25s", {}).get("batch_qps"):
        lines.append(
            f"| bm25s, all queries in one `retrieve` call | | | {f['bm25s']['batch_qps']:,.0f} "
            "| | | | |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
