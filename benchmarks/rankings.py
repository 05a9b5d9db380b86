"""Rankings and answers on a fixed question set, to check that a speed change changed nothing.

    python benchmarks/rankings.py dump --data-dir STORE --queries QUERIES.json --out a.json
    python benchmarks/rankings.py dump --code OTHER_CHECKOUT ... --out b.json
    python benchmarks/rankings.py compare a.json b.json

`dump` records, for every question of a `perf.py` query file: `Engine.search` at k=10 and at
the fusion depth (50): passage ids, scores and coverage, exactly (floats as JSON keeps them);
and the extractive `Engine.ask`'s whole answer. `compare` prints how many questions differ
and the first few, and exits 1 if any does. The store is only read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def dump(data_dir: Path, queries_file: Path, out: Path) -> None:
    import bot
    from bot.config import Settings
    from bot.engine import Engine

    questions = [q["q"] for q in json.loads(queries_file.read_text())["queries"]]
    engine = Engine(Settings(data_dir=data_dir, auto_seed=False))
    loop = asyncio.new_event_loop()
    found: dict[str, Any] = {}
    try:
        for q in questions:
            found[q] = {
                str(k): [(p.chunk_id, p.score, p.coverage) for p in engine.search(q, k=k).passages]
                for k in (10, 50)
            }
            answer = loop.run_until_complete(engine.ask(q, mode="extractive"))
            found[q]["ask"] = answer.model_dump(mode="json")
    finally:
        loop.close()
        engine.close()
    out.write_text(json.dumps({"code": str(Path(bot.__file__).parent), "questions": found}))
    print(f"{len(found)} questions from {Path(bot.__file__).parent} -> {out}")


def compare(a: Path, b: Path) -> int:
    left, right = (json.loads(p.read_text())["questions"] for p in (a, b))
    differ = sorted(q for q in left.keys() | right.keys() if left.get(q) != right.get(q))
    for part in ("10", "50", "ask"):
        n = sum(1 for q in left if left[q].get(part) != right.get(q, {}).get(part))
        print(f"{part:>4}: {n} of {len(left)} questions differ")
    for q in differ[:3]:
        print(f"  {q!r}")
    return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--code", type=Path, default=ROOT, help="checkout whose `bot` to run")
    d.add_argument("--data-dir", type=Path, required=True)
    d.add_argument("--queries", type=Path, required=True)
    d.add_argument("--out", type=Path, required=True)
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = p.parse_args(argv)
    if args.command == "dump":
        sys.path.insert(0, str(args.code.resolve()))
        dump(args.data_dir, args.queries, args.out)
        return 0
    return compare(args.a, args.b)


if __name__ == "__main__":
    raise SystemExit(main())
