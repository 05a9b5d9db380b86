"""Performance on the path users take, side by side with bm25s (numpy and numba), in one run.

    nice python benchmarks/perf.py --sizes 10000,100000,253684 --json-out perf.json --markdown

For each size N (a prefix of the RSS corpus): `briefbot ingest` through the CLI with default
settings (near-duplicates on), in a fresh process (its CPU and peak RSS are those of the
process and the worker process it starts, together); then `Engine.search` (k=10) and the
extractive `Engine.ask` in one engine as the bot runs them; a cold `briefbot ask` (a fresh
process per question); the extractive briefing of the prefix's busiest day; and bm25s over
the same N items (title + description, briefbot's analyser) with its numpy and its numba
backend. Queries: the first 12 content words of random items' descriptions; the target is
the article the store keeps for that item (itself, or the one it was folded into as a copy);
one untimed warm-up query, then timed passes whose percentiles are reported as medians.
Every measurement runs in its own process (perf_workers.py) so its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.reporting import cold_ask, machine_record, run_worker  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "rss-2023-09-12-en.jsonl.gz"
WORKERS = Path(__file__).resolve().parent / "perf_workers.py"
PEERS = ("numpy", "numba")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", type=Path, default=CORPUS, help="JSONL(.gz) of RSS items")
    p.add_argument("--sizes", default="10000,100000,253684", help="comma-separated item counts")
    p.add_argument("--workdir", type=Path, default=Path("/tmp/briefbot-perf"))
    p.add_argument("--queries", type=int, default=300)
    p.add_argument("--seed", type=int, default=14)
    p.add_argument("--repeats", type=int, default=3, help="timed passes over the queries")
    p.add_argument("--ingest-runs", type=int, default=1, help="fresh ingests; median reported")
    p.add_argument("--ask-runs", type=int, default=5, help="cold `briefbot ask` processes")
    p.add_argument("--briefing-runs", type=int, default=3)
    p.add_argument("--reuse-store", action="store_true", help="skip ingest if the store exists")
    p.add_argument(
        "--ingest-workers",
        type=int,
        choices=(0, 1),
        help="`briefbot ingest --workers N` (default: the setting's default)",
    )
    p.add_argument("--skip-peers", action="store_true", help="no bm25s")
    p.add_argument(
        "--only",
        default="",
        help="comma-separated stages (ingest,engine,cold,briefing,peers); default all",
    )
    p.add_argument("--json-out", type=Path)
    p.add_argument("--markdown", action="store_true")
    return p.parse_args(argv)


def worker(kind: str, **args: Any) -> dict[str, Any]:
    return run_worker(WORKERS, kind, **args)


def prefix_file(corpus: Path, items: int, workdir: Path) -> tuple[Path, int, str]:
    """The first `items` lines in a .jsonl.gz of their own, their count and busiest day."""
    target = workdir / f"prefix-{items}.jsonl.gz"
    days: Counter[str] = Counter()
    count = 0
    tmp = target.with_suffix(".tmp")
    with (
        gzip.open(corpus, "rt", encoding="utf-8") as src,
        gzip.open(tmp, "wt", encoding="utf-8", compresslevel=1) as dst,
    ):
        for line in src:
            if count >= items:
                break
            days[json.loads(line).get("published_at", "")[:10]] += 1
            dst.write(line)
            count += 1
    tmp.rename(target)
    return target, count, days.most_common(1)[0][0]


def ingest(
    source: Path, items: int, data_dir: Path, runs: int, workers: int | None = None
) -> dict[str, Any]:
    results = []
    for _ in range(runs):
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
        argv = ["ingest", str(source), "--json", "--no-seeds", "--data-dir", str(data_dir)]
        argv += ["--workers", str(workers)] if workers is not None else []
        r = worker("cli", argv=argv)
        if r["exit"] != 0:
            raise RuntimeError(f"briefbot ingest failed: {r['report']}")
        r["items_per_s"] = items / r["seconds"]
        r["items"] = items
        results.append(r)
        print(
            f"    ingest: {r['items_per_s']:,.0f} items/s, {r['seconds']:.1f} s, CPU "
            f"{r['cpu_seconds']:.1f} s ({r['cpu_main_seconds']:.1f} s writing process), "
            f"{r['peak_rss_mb']:.0f} MB both processes (writer {r['peak_rss_main_mb']:.0f}, "
            f"worker {r['peak_rss_worker_mb']:.0f})",
            file=sys.stderr,
        )
    summary = dict(results[-1])
    keys = ("seconds", "items_per_s", "cpu_seconds", "cpu_main_seconds", "peak_rss_mb")
    for key in (*keys, "peak_rss_main_mb", "peak_rss_worker_mb"):
        summary[key] = statistics.median(r[key] for r in results)
    summary["runs_items_per_s"] = [round(r["items_per_s"]) for r in results]
    return summary


def measure(size: int, args: argparse.Namespace, stages: set[str]) -> dict[str, Any]:
    source, items, busiest = prefix_file(args.corpus, size, args.workdir)
    data_dir = args.workdir / f"store-{items}"
    db = data_dir / "briefbot.sqlite3"
    f: dict[str, Any] = {"items": items, "busiest_day": busiest}
    print(f"  {items:,} items", file=sys.stderr)
    if "ingest" in stages and not (args.reuse_store and db.exists()):
        f["ingest"] = ingest(source, items, data_dir, args.ingest_runs, args.ingest_workers)
    queries_file = args.workdir / f"queries-{items}-{args.seed}.json"
    f["query_set"] = worker(
        "queries",
        source=source,
        data_dir=data_dir,
        seed=args.seed,
        count=args.queries,
        out=queries_file,
    )
    common = {"queries": queries_file, "repeats": args.repeats}
    if "engine" in stages:
        print("    engine search / ask …", file=sys.stderr)
        f["engine"] = worker("engine", data_dir=data_dir, **common)
    if "cold" in stages:
        queries = json.loads(queries_file.read_text())["queries"]
        f["cold_ask"] = cold_ask(data_dir, [q["q"] for q in queries], args.ask_runs)
    if "briefing" in stages:
        f["briefing"] = worker("briefing", data_dir=data_dir, day=busiest, runs=args.briefing_runs)
    if "peers" in stages and not args.skip_peers:
        for backend in PEERS:
            print(f"    bm25s {backend} …", file=sys.stderr)
            f[f"bm25s_{backend}"] = worker("bm25s", source=source, backend=backend, **common)
    return f


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    stages = (
        set(args.only.split(","))
        if args.only
        else {"ingest", "engine", "cold", "briefing", "peers"}
    )
    figures: dict[str, Any] = {"machine": machine_record(), "argv": sys.argv[1:], "sizes": {}}
    for size in (int(s) for s in args.sizes.split(",")):
        figures["sizes"][str(size)] = measure(size, args, stages)
        if args.json_out:
            args.json_out.write_text(json.dumps(figures, indent=2, default=str) + "\n")
    figures["machine"]["load_avg_end"] = os.getloadavg()
    if args.json_out:
        args.json_out.write_text(json.dumps(figures, indent=2, default=str) + "\n")
    if args.markdown:
        print(markdown(figures))
    elif not args.json_out:
        print(json.dumps(figures, indent=2, default=str))
    return 0


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "n/a"


def markdown(figures: dict[str, Any]) -> str:
    m = figures["machine"]
    lines = [
        f"Run {m['date']}, commit {m['commit']}, {m['cpus']} cores ({m['platform']}), "
        f"Python {m['python']}, SQLite {m['sqlite']}; load average "
        f"{m['load_avg_start'][0]:.1f} at the start, {m['load_avg_end'][0]:.1f} at the end. "
        f"`python benchmarks/perf.py {' '.join(figures['argv'])}`",
        "",
        "| N | system | ingest / index build | search p50 / p95 ms | QPS | Hit@10 "
        "| peak RSS query / ingest |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, f in figures["sizes"].items():
        n = f"{int(size):,}"
        e, ing = f.get("engine"), f.get("ingest")
        if e:
            build = (
                f"{ing['items_per_s']:,.0f} items/s ({ing['items'] / ing['cpu_seconds']:,.0f}"
                "/CPU-s)"
                if ing
                else "(reused)"
            )
            rss_in = f"{ing['peak_rss_mb']:.0f}" if ing else "-"
            lines.append(
                f"| {n} | briefbot (`ingest` CLI; `Engine.search`) | {build} "
                f"| {e['p50_ms']:.2f} / {e['p95_ms']:.2f} | {e['qps']:,.0f} "
                f"| {e['hit_at_10']:.3f} | {e['peak_rss_search_mb']:.0f} (with ask "
                f"{e['peak_rss_mb']:.0f}) / {rss_in} MB |"
            )
        for backend in PEERS:
            p = f.get(f"bm25s_{backend}")
            if p:
                lines.append(
                    f"| {n} | bm25s {backend} | {p['build_items_per_s']:,.0f} items/s "
                    f"({p['build_items_per_cpu_s']:,.0f}/CPU-s) "
                    f"| {p['p50_ms']:.2f} / {p['p95_ms']:.2f} | {p['qps']:,.0f} "
                    f"| {p['hit_at_10']:.3f} | {p['peak_rss_mb']:.0f} MB |"
                )
    lines += [
        "",
        "| N | ask p50 / p95 ms | cold `briefbot ask` | busy-day briefing "
        "| misses (time words) | vs bm25s numpy: QPS, p95 | vs numba: p95, RSS |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, f in figures["sizes"].items():
        e, c, b = f.get("engine"), f.get("cold_ask"), f.get("briefing")
        np_, nb = f.get("bm25s_numpy") or {}, f.get("bm25s_numba") or {}
        ask = f"{e['ask']['p50_ms']:.2f} / {e['ask']['p95_ms']:.2f}" if e else "-"
        cold = (
            f"{c['median_s']:.2f} s, CPU {c['cpu_median_s']:.2f} s "
            f"(bare python {c['python_startup_s']:.2f} s)"
            if c
            else "-"
        )
        brief = (
            f"{b['median_s']:.2f} s, CPU {b['cpu_median_s']:.2f} s ({b['day']}, "
            f"{b['articles']:,} articles; first build {b.get('first_s', 0):.2f} s)"
            if b
            else "-"
        )
        miss = f"{e['misses']} ({e['misses_with_time_words']})" if e else "-"
        lines.append(
            f"| {int(size):,} | {ask} | {cold} | {brief} | {miss} "
            f"| {ratio(e and e['qps'], np_.get('qps'))}, "
            f"{ratio(e and e['p95_ms'], np_.get('p95_ms'))} "
            f"| {ratio(e and e['p95_ms'], nb.get('p95_ms'))}, "
            f"{ratio(e and e['peak_rss_mb'], nb.get('peak_rss_mb'))} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
