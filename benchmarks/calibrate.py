"""Fit the answer confidence (bot/answer/confidence.py) on the tuning split, and ablate.

Usage:
  nice python benchmarks/calibrate.py [--cache DIR] [--split tune|report] [--weights current]
                                      [--set MODULE.NAME=VALUE ...] [--drop SIGNAL ...]

Runs the answer pipeline in-process (the same `AnswerPipeline.find` the CLI uses) on the
stores `benchmarks/quality.py` caches, for the answerable questions, `offcorpus.jsonl` and the
general (BBC store) questions of one split. Each question's lead evidence gives the signals;
the label is whether the extractive answer names the gold answer (off-corpus and general
questions: never). A logistic regression (Newton's method, light L2) is fitted to them, and
the answer-rate / abstention curve is printed for the fitted weights, so the threshold is
chosen on the tuning split. `--weights current` scores with the shipped weights instead of
fitting (to report a split without refitting on it); `--set` changes a module constant and
`--drop` leaves a signal out, for ablations.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality import BBC, RTQA, ensure_store, load_questions, named

from bot.answer import confidence as conf
from bot.answer.extractive import compose_extractive
from bot.cli.common import until_arg
from bot.config import Settings
from bot.engine import Engine
from bot.models import SearchFilters

# Two sentences restate each other when this share of the shorter one's content stems is shared.
RESTATES = 0.6
THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8)
# The operating point: the lowest threshold (0.01 steps) at which the tuning split meets the
# issue's abstention floors (offcorpus.jsonl, general off-corpus questions).
FLOOR_OFF, FLOOR_GENERAL = 0.85, 0.90


@dataclass
class Row:
    kind: str
    signals: dict[str, float]
    label: int
    in_quotes: bool
    question: str = ""
    lead: str = ""
    lead_named: bool = False  # the gold answer is in the first sentence
    restates: bool = False  # two answer sentences share most of their words


def collect(engine: Engine, asked: list, kind: str) -> list[Row]:
    rows = []
    for a in asked:
        filters = SearchFilters(until=until_arg(a.until)) if a.until else None
        found = engine.pipeline.find(a.question, a.question, None, filters)
        label, quoted = 0, False
        chosen = found.evidence.sentences
        if chosen and kind == "answerable":
            answer = compose_extractive(a.question, found.evidence)
            label = int(named(a.gold, answer.answer))
            quoted = any(named(a.gold, s.quote) for s in answer.sources)
        lead = chosen[0].text if chosen else ""
        restates = any(
            len(x.stems & y.stems) >= RESTATES * min(len(x.stems), len(y.stems))
            for i, x in enumerate(chosen)
            for y in chosen[i + 1 :]
        )
        rows.append(
            Row(
                kind,
                found.evidence.signals,
                label,
                quoted,
                a.question,
                lead,
                kind == "answerable" and named(a.gold, lead),
                restates,
            )
        )
    return rows


def matrix(rows: list[Row], names: list[str]) -> np.ndarray:
    return np.array([[1.0] + [r.signals.get(n, 0.0) for n in names] for r in rows])


def fit(x: np.ndarray, y: np.ndarray, l2: float = 0.1, steps: int = 50) -> np.ndarray:
    w = np.zeros(x.shape[1])
    reg = l2 * np.eye(x.shape[1])
    reg[0, 0] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w)))
        grad = x.T @ (p - y) + reg @ w
        hess = (x.T * (p * (1 - p))) @ x + reg + 1e-9 * np.eye(x.shape[1])
        w -= np.linalg.solve(hess, grad)
    return w


COLUMNS = "| threshold | answered | gold named | gold in quotes | abstain off | abstain general |"


def curve(rows: list[Row], scores: np.ndarray) -> str:
    lines = [COLUMNS, "|---|---|---|---|---|---|"]
    pairs = list(zip(rows, scores, strict=True))

    def share(kind: str, flags: list[bool]) -> float:
        return sum(flags) / max(sum(1 for r, _ in pairs if r.kind == kind), 1)

    for t in THRESHOLDS:
        inn = [(r, s >= t) for r, s in pairs if r.kind == "answerable"]
        cells = [
            share("answerable", [ok for _, ok in inn]),
            share("answerable", [ok and bool(r.label) for r, ok in inn]),
            share("answerable", [ok and r.in_quotes for r, ok in inn]),
            share("offcorpus", [s < t for r, s in pairs if r.kind == "offcorpus"]),
            share("general", [s < t for r, s in pairs if r.kind == "general"]),
        ]
        lines.append(f"| {t:.2f} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    return "\n".join(lines)


def rates(rows: list[Row], scores: np.ndarray, t: float) -> dict[str, float]:
    def mean(flags: list[bool]) -> float:
        return sum(flags) / max(len(flags), 1)

    pairs = list(zip(rows, scores, strict=True))
    inn = [(r, s >= t) for r, s in pairs if r.kind == "answerable"]
    return {
        "answered": mean([ok for _, ok in inn]),
        "named": mean([ok and bool(r.label) for r, ok in inn]),
        "lead named": mean([ok and r.lead_named for r, ok in inn]),
        "restating answers": mean([r.restates for r, ok in inn if ok]),
        "quotes": mean([ok and r.in_quotes for r, ok in inn]),
        "off": mean([s < t for r, s in pairs if r.kind == "offcorpus"]),
        "general": mean([s < t for r, s in pairs if r.kind == "general"]),
    }


def operating_point(rows: list[Row], scores: np.ndarray) -> tuple[float, dict[str, float]]:
    for step in range(1, 100):
        t = step / 100
        r = rates(rows, scores, t)
        if r["off"] >= FLOOR_OFF and r["general"] >= FLOOR_GENERAL:
            return t, r
    return 1.0, rates(rows, scores, 1.0)


def apply_settings(assignments: list[str]) -> None:
    for item in assignments:
        target, value = item.split("=", 1)
        module, name = target.rsplit(".", 1)
        mod = importlib.import_module(module)
        current = getattr(mod, name)
        setattr(mod, name, value == "1" if isinstance(current, bool) else type(current)(value))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path("/tmp/briefbot-quality-rtqa"))
    ap.add_argument("--split", choices=("tune", "report"), default="tune")
    ap.add_argument("--weights", choices=("fit", "current"), default="fit")
    ap.add_argument("--set", action="append", default=[], metavar="MODULE.NAME=VALUE")
    ap.add_argument("--drop", action="append", default=[], metavar="SIGNAL")
    ap.add_argument("--no-paraphrase", action="store_true")
    ap.add_argument("--dump", type=Path, default=None, help="write each question's row (JSONL)")
    args = ap.parse_args()
    apply_settings(args.set)
    asked = [
        a for a in load_questions(("answerable", "offcorpus", "general")) if a.split == args.split
    ]
    start = time.perf_counter()
    rows: list[Row] = []
    ensure_store(args.cache / "rtqa", RTQA / "corpus.jsonl.gz", False)
    ensure_store(args.cache / "bbc", BBC, False)
    for store, kinds in (("rtqa", ("answerable", "offcorpus")), ("bbc", ("general",))):
        engine = Engine(Settings(data_dir=args.cache / store, auto_seed=False))
        if args.no_paraphrase:
            engine.pipeline.paraphrase = None
        for kind in kinds:
            rows += collect(engine, [a for a in asked if a.kind == kind], kind)
        engine.close()
    names = [n for n in conf.WEIGHTS if n != "bias" and n not in args.drop]
    x = matrix(rows, names)
    y = np.array([r.label for r in rows], dtype=float)
    if args.weights == "fit":
        w = fit(x, y)
    else:
        w = np.array([conf.WEIGHTS["bias"]] + [conf.WEIGHTS[n] for n in names])
    scores = 1 / (1 + np.exp(-(x @ w)))
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as fh:
            for r, score in zip(rows, scores, strict=True):
                fh.write(json.dumps({**r.__dict__, "score": float(score)}) + "\n")
    print(
        f"{args.split}: {len(rows)} questions in {time.perf_counter() - start:.0f}s; "
        f"settings {args.set or 'default'}; dropped {args.drop or 'nothing'}"
    )
    print(
        "WEIGHTS = {"
        + ", ".join(f'"{n}": {v:.2f}' for n, v in zip(["bias", *names], w, strict=True))
        + "}"
    )
    print(curve(rows, scores))
    t, r = operating_point(rows, scores)
    print(f"operating point {t:.2f}: " + ", ".join(f"{k} {v:.3f}" for k, v in r.items()))


if __name__ == "__main__":
    main()
