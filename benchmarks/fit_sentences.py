"""Fit the sentence score (bot/answer/evidence.py SENTENCE_WEIGHTS) on the tune weeks.

Usage:
  nice python benchmarks/fit_sentences.py [--cache DIR] [--set MODULE.NAME=VALUE ...]
                                          [--drop FEATURE ...] [--split tune|report]

For each answerable question of the split, the pipeline retrieves and reads its passages
(`AnswerPipeline.find`), and every candidate sentence gets its features
(`evidence.sentences_of`). A conditional logit (softmax over a question's sentences, the
sentences naming the gold answer as the target, light L2) is fitted, cross-validated by week:
each fold's questions are ranked by weights fitted on the other weeks, and the answer
sentences are chosen from them as the pipeline does (`evidence.choose`). Printed: the share
of questions whose gold is in the lead sentence and in the chosen sentences, for the shipped
weights and out of fold for the fitted ones; then the weights fitted on all the split's
questions (to ship).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibrate import FOLDS, apply_settings
from quality import load_questions, named, store_for

from bot.answer import evidence as ev
from bot.answer.questions import question_facts
from bot.cli.common import until_arg
from bot.config import Settings
from bot.engine import Engine
from bot.models import SearchFilters

L2 = 1.0
STEPS = 1500


class Pool:
    """One question's candidate sentences, their feature rows and which name the gold."""

    def __init__(self, week: str, gold: str, sentences: list[ev.Sentence], names: list[str]):
        self.week = week
        self.gold = gold
        self.sentences = sentences
        self.x = np.array([[s.features.get(n, 0.0) for n in names] for s in sentences])
        self.y = np.array([named(gold, s.text) for s in sentences], dtype=float)


def pools(engine: Engine, split: str, names: list[str]) -> list[Pool]:
    out = []
    for a in load_questions(["answerable"]):
        if a.split != split:
            continue
        found = engine.pipeline.find(
            a.question, a.question, None, SearchFilters(until=until_arg(a.until))
        )
        facts = question_facts(a.question)
        pool = ev.sentences_of(found.result.query, facts, found.read, engine.pipeline.paraphrase)
        ev.supported(pool, ev.asked_words(found.result.query, facts))
        if pool:
            out.append(Pool(a.week, a.gold, pool, names))
        else:
            out.append(Pool(a.week, a.gold, [], names))
    return out


def fit(train: list[Pool], dims: int) -> np.ndarray:
    """Conditional logit by gradient ascent (Adam): maximise log P(a gold sentence) per question."""
    usable = [p for p in train if p.y.any()]
    x = np.vstack([p.x for p in usable])
    y = np.concatenate([p.y for p in usable])
    bounds = np.cumsum([0] + [len(p.y) for p in usable])
    starts = bounds[:-1]
    w = np.zeros(dims)
    m = np.zeros(dims)
    v = np.zeros(dims)
    for step in range(1, STEPS + 1):
        s = x @ w
        s_max = np.maximum.reduceat(s, starts)
        e = np.exp(s - np.repeat(s_max, np.diff(bounds)))
        z_all = np.add.reduceat(e, starts)
        z_pos = np.add.reduceat(e * y, starts)
        p_all = e / np.repeat(z_all, np.diff(bounds))
        p_pos = e * y / np.repeat(z_pos, np.diff(bounds))
        grad = x.T @ (p_pos - p_all) - L2 * w
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w += 0.05 * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return w


def evaluate(test: list[Pool], w: np.ndarray, limit: int) -> tuple[int, int]:
    """(gold in the lead, gold in the chosen sentences) counts under weights w."""
    lead = chosen = 0
    for p in test:
        if not p.sentences:
            continue
        for s, score in zip(p.sentences, p.x @ w, strict=True):
            s.score = float(score)
        picked = ev.choose(list(p.sentences), limit)
        lead += named(p.gold, picked[0].text)
        chosen += any(named(p.gold, s.text) for s in picked)
    return lead, chosen


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path("/tmp/briefbot-quality-rtqa"))
    ap.add_argument("--split", choices=("tune", "report"), default="tune")
    ap.add_argument("--set", action="append", default=[], metavar="MODULE.NAME=VALUE")
    ap.add_argument("--drop", action="append", default=[], metavar="FEATURE")
    args = ap.parse_args()
    apply_settings(args.set)
    names = [n for n in ev.SENTENCE_WEIGHTS if n not in args.drop]
    start = time.perf_counter()
    first = next(a for a in load_questions(["answerable"]) if a.split == args.split)
    engine = Engine(Settings(data_dir=store_for(first, args.cache), auto_seed=False))
    limit = engine.settings.answers.max_sentences
    all_pools = pools(engine, args.split, names)
    engine.close()
    n = len(all_pools)
    shipped = np.array([ev.SENTENCE_WEIGHTS[k] for k in names])
    lead, chosen = evaluate(all_pools, shipped, limit)
    print(
        f"{args.split}: {n} questions in {time.perf_counter() - start:.0f}s; "
        f"settings {args.set or 'default'}; dropped {args.drop or 'nothing'}"
    )
    has_gold = sum(1 for p in all_pools if p.y.any())
    print(f"a sentence naming the gold is in the pool: {has_gold / n:.3f}")
    print(f"shipped weights: gold in lead {lead / n:.3f}, in chosen {chosen / n:.3f}")
    weeks = sorted({p.week for p in all_pools})
    fold_of = {wk: i % FOLDS for i, wk in enumerate(weeks)}
    lead = chosen = 0
    for f in range(FOLDS):
        train = [p for p in all_pools if fold_of[p.week] != f]
        test = [p for p in all_pools if fold_of[p.week] == f]
        got = evaluate(test, fit(train, len(names)), limit)
        lead, chosen = lead + got[0], chosen + got[1]
    print(f"fitted, out of fold: gold in lead {lead / n:.3f}, in chosen {chosen / n:.3f}")
    w = fit(all_pools, len(names))
    print(
        "SENTENCE_WEIGHTS = {"
        + ", ".join(f'"{k}": {v:.2f}' for k, v in zip(names, w, strict=True))
        + "}"
    )


if __name__ == "__main__":
    main()
