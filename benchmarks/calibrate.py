"""Fit the answer confidence (bot/answer/confidence.py) on the tune weeks, and ablate.

Usage:
  nice python benchmarks/calibrate.py [--cache DIR] [--split tune|report] [--weights fit|current]
                                      [--set MODULE.NAME=VALUE ...] [--drop SIGNAL ...]
                                      [--sets answerable,offcorpus,general,crossyear]
                                      [--every N] [--dump FILE]

Runs the answer pipeline in-process (the same `AnswerPipeline.find` the CLI uses) on the
stores `benchmarks/quality.py` caches, for the questions of one split (weeks assigned by hash,
see `quality.week_split`): the answerable ones, `offcorpus.jsonl` and the two general
off-corpus sets (BBC-only store; cross-year stores). Each question's lead evidence gives the
signals; the label (`--label`) is whether the extractive answer names the gold answer
("named", shipped), or whether the passages the evidence was chosen from hold it ("held":
better on the tune weeks, worse on the report weeks, see docs/benchmarks.md), or every
answerable question ("answerable"); off-corpus and general questions: never.

Fitting is cross-validated: the weeks are dealt into FOLDS groups, each group is scored by a
logistic regression (Newton's method, light L2) fitted on the others, and the curve, the
operating point and the threshold come from these out-of-fold scores, so they estimate how
the score does on weeks it never saw. The weights printed (to ship) are then fitted on all
rows. `--weights current` scores with the shipped weights and threshold instead (to report
the held-out split without fitting on it); `--set` changes a module constant and `--drop`
leaves a signal out, for ablations.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality import SETS, Asked, load_questions, named, store_for

from bot.answer import confidence as conf
from bot.answer.extractive import compose_extractive
from bot.cli.common import until_arg
from bot.config import Settings
from bot.engine import Engine
from bot.models import SearchFilters

# Two sentences restate each other when this share of the shorter one's content stems is shared.
RESTATES = 0.6
THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8)
# The operating point: the lowest threshold (0.01 steps) at which the split meets the issue's
# abstention floors (offcorpus.jsonl; general off-corpus questions: both general sets).
FLOOR_OFF, FLOOR_GENERAL = 0.85, 0.90
FOLDS = 5
# ... by this much (two of the tune split's 405 cross-year questions): the weights shipped are
# fitted on all rows and score the weeks a little differently from the out-of-fold models.
MARGIN = 0.005
# An answer whose asked count or role no chosen sentence gives abstains (off: --keep-gaps).
GAP_ABSTAINS = True
ABSTAIN_KINDS = ("offcorpus", "general", "crossyear")
LABELS = ("named", "held", "answerable")


@dataclass
class Row:
    kind: str
    week: str
    year: str
    signals: dict[str, float]
    label: int
    in_quotes: bool
    question: str = ""
    lead: str = ""
    lead_named: bool = False  # the gold answer is in the first sentence
    restates: bool = False  # two answer sentences share most of their words
    in_retrieved: bool = False  # the gold is in one of the retrieved passages
    in_read: bool = False  # ... in one of the passages evidence selection reads
    gap: bool = False  # the asked count or role is in no chosen sentence: the answer abstains
    extra: dict[str, float] = field(default_factory=dict)


def collect(engine: Engine, asked: list[Asked]) -> list[Row]:
    rows = []
    for a in asked:
        filters = SearchFilters(until=until_arg(a.until)) if a.until else None
        found = engine.pipeline.find(a.question, a.question, None, filters)
        label, quoted = 0, False
        chosen = found.evidence.sentences
        answerable = a.kind == "answerable"
        if chosen and answerable:
            answer = compose_extractive(a.question, found.evidence)
            label = int(named(a.gold, answer.answer))
            quoted = any(named(a.gold, s.quote) for s in answer.sources)
        passages = found.result.passages
        holds = [answerable and named(a.gold, f"{p.title}\n{p.text}") for p in passages]
        lead = chosen[0].text if chosen else ""
        restates = any(
            len(x.stems & y.stems) >= RESTATES * min(len(x.stems), len(y.stems))
            for i, x in enumerate(chosen)
            for y in chosen[i + 1 :]
        )
        rows.append(
            Row(
                a.kind,
                a.week,
                a.year,
                found.evidence.signals,
                label,
                quoted,
                a.question,
                lead,
                answerable and named(a.gold, lead),
                restates,
                any(holds),
                any(named(a.gold, f"{p.title}\n{p.text}") for p in found.read) and answerable,
                found.evidence.gap is not None,
            )
        )
    return rows


def target(row: Row, label: str) -> int:
    """The label fitted: off-corpus and general questions are always 0; an answerable one is 1
    when the corpus holds its answer in the passages read ("held"), always ("answerable"), or
    only when the answer named it ("named")."""
    if row.kind != "answerable":
        return 0
    if label == "held":
        return int(row.in_read)
    if label == "answerable":
        return 1
    return row.label


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


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def out_of_fold(rows: list[Row], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each row scored by a model fitted on the other folds' weeks (weeks dealt in order)."""
    weeks = sorted({r.week for r in rows})
    fold_of = {w: i % FOLDS for i, w in enumerate(weeks)}
    folds = np.array([fold_of[r.week] for r in rows])
    scores = np.zeros(len(rows))
    for f in range(FOLDS):
        test = folds == f
        scores[test] = sigmoid(x[test] @ fit(x[~test], y[~test]))
    return scores


def rates(rows: list[Row], scores: np.ndarray, t: float) -> dict[str, float]:
    def mean(flags: list[bool]) -> float:
        return sum(flags) / len(flags) if flags else float("nan")

    pairs = [
        (r, s if not (r.gap and GAP_ABSTAINS) else -1.0) for r, s in zip(rows, scores, strict=True)
    ]
    inn = [(r, s >= t) for r, s in pairs if r.kind == "answerable"]
    out = {
        "answered": mean([ok for _, ok in inn]),
        "named": mean([ok and bool(r.label) for r, ok in inn]),
        "lead named": mean([ok and r.lead_named for r, ok in inn]),
        "restating": mean([r.restates for r, ok in inn if ok]),
        "quotes": mean([ok and r.in_quotes for r, ok in inn]),
    }
    for kind in ABSTAIN_KINDS:
        out[kind] = mean([s < t for r, s in pairs if r.kind == kind])
    return out


def meets_floors(r: dict[str, float], margin: float = 0.0) -> bool:
    def ok(value: float, floor: float) -> bool:
        return value != value or value >= floor + margin  # a set not run does not block

    return (
        ok(r["offcorpus"], FLOOR_OFF)
        and ok(r["general"], FLOOR_GENERAL)
        and ok(r["crossyear"], FLOOR_GENERAL)
    )


def operating_point(
    rows: list[Row], scores: np.ndarray, margin: float = 0.0
) -> tuple[float, dict[str, float]]:
    for step in range(1, 100):
        t = step / 100
        r = rates(rows, scores, t)
        if meets_floors(r, margin):
            return t, r
    return 1.0, rates(rows, scores, 1.0)


COLUMNS = ("answered", "named", "quotes", *ABSTAIN_KINDS)


def curve(rows: list[Row], scores: np.ndarray) -> str:
    lines = ["| threshold | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for t in THRESHOLDS:
        r = rates(rows, scores, t)
        lines.append(f"| {t:.2f} | " + " | ".join(f"{r[c]:.3f}" for c in COLUMNS) + " |")
    return "\n".join(lines)


def apply_settings(assignments: list[str]) -> None:
    """MODULE.NAME=VALUE sets a module constant; MODULE.NAME[KEY]=VALUE one entry of a dict
    of floats (e.g. `bot.answer.evidence.SENTENCE_WEIGHTS[early]=0`)."""
    for item in assignments:
        target, value = item.split("=", 1)
        key = None
        if target.endswith("]"):
            target, key = target[:-1].split("[", 1)
        module, name = target.rsplit(".", 1)
        mod = importlib.import_module(module)
        current = getattr(mod, name)
        if key is not None:
            current[key] = float(value)
            continue
        setattr(mod, name, value == "1" if isinstance(current, bool) else type(current)(value))


def gather(args: argparse.Namespace) -> list[Row]:
    sets = [s for s in args.sets.split(",") if s]
    asked = [a for a in load_questions(sets, args.cache) if a.split == args.split]
    if args.every > 1:
        general = [a for a in asked if a.kind == "general"]
        asked = [a for a in asked if a.kind != "general"] + general[:: args.every]
    by_store: dict[Path, list[Asked]] = {}
    for a in asked:
        by_store.setdefault(store_for(a, args.cache), []).append(a)
    rows: list[Row] = []
    for data_dir, items in by_store.items():
        engine = Engine(Settings(data_dir=data_dir, auto_seed=False))
        if args.no_paraphrase:
            engine.pipeline.paraphrase = None
        rows += collect(engine, items)
        engine.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path("/tmp/briefbot-quality-rtqa"))
    ap.add_argument("--split", choices=("tune", "report"), default="tune")
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--weights", choices=("fit", "current"), default="fit")
    ap.add_argument("--set", action="append", default=[], metavar="MODULE.NAME=VALUE")
    ap.add_argument("--drop", action="append", default=[], metavar="SIGNAL")
    ap.add_argument("--no-paraphrase", action="store_true")
    ap.add_argument("--keep-gaps", action="store_true", help="ablation: answer despite a gap")
    ap.add_argument("--every", type=int, default=1, help="every Nth general (BBC) question")
    ap.add_argument("--dump", type=Path, default=None, help="write each question's row (JSONL)")
    ap.add_argument("--rows", type=Path, default=None, help="refit rows dumped earlier")
    ap.add_argument(
        "--margin",
        type=float,
        default=MARGIN,
        help="the operating point's abstention must clear each floor by this much",
    )
    ap.add_argument(
        "--label",
        choices=LABELS,
        default=LABELS[0],
        help="what an answerable question's positive label means (off-corpus: never)",
    )
    args = ap.parse_args()
    apply_settings(args.set)
    global GAP_ABSTAINS
    GAP_ABSTAINS = not args.keep_gaps
    start = time.perf_counter()
    if args.rows:
        with args.rows.open(encoding="utf-8") as fh:
            rows = [
                Row(**{k: v for k, v in json.loads(line).items() if k != "score"}) for line in fh
            ]
    else:
        rows = gather(args)
    names = [n for n in conf.WEIGHTS if n != "bias" and n not in args.drop]
    x = matrix(rows, names)
    y = np.array([target(r, args.label) for r in rows], dtype=float)
    if args.weights == "fit":
        w = fit(x, y)
        scores = out_of_fold(rows, x, y)
    else:
        w = np.array([conf.WEIGHTS["bias"]] + [conf.WEIGHTS[n] for n in names])
        scores = sigmoid(x @ w)
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as fh:
            for r, score in zip(rows, scores, strict=True):
                fh.write(json.dumps({**r.__dict__, "score": float(score)}) + "\n")
    counts = {k: sum(1 for r in rows if r.kind == k) for k in ("answerable", *ABSTAIN_KINDS)}
    print(
        f"{args.split}: {len(rows)} questions {counts} in {time.perf_counter() - start:.0f}s; "
        f"settings {args.set or 'default'}; dropped {args.drop or 'nothing'}; "
        f"scores {'out of fold' if args.weights == 'fit' else 'shipped weights'}"
    )
    print(
        "WEIGHTS = {"
        + ", ".join(f'"{n}": {v:.2f}' for n, v in zip(["bias", *names], w, strict=True))
        + "}"
    )
    print(curve(rows, scores))
    t, r = operating_point(rows, scores, args.margin)
    print(f"operating point {t:.2f}: " + ", ".join(f"{k} {v:.3f}" for k, v in r.items()))
    if args.weights == "current":
        from bot.config import AnswerSettings

        shipped = AnswerSettings().abstain_threshold
        r = rates(rows, scores, shipped)
        print(
            f"shipped threshold {shipped:.2f}: " + ", ".join(f"{k} {v:.3f}" for k, v in r.items())
        )


if __name__ == "__main__":
    main()
