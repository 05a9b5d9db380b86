"""Where answers to the answerable quiz questions go wrong, by category, on the tune weeks.

Usage:
  nice python benchmarks/diagnose.py [--cache DIR] [--set MODULE.NAME=VALUE ...]
                                     [--examples FILE]

Each answerable question of the tune weeks goes through `AnswerPipeline.find` (as in
`calibrate.py`); the would-be extractive answer is composed even when the confidence is below
the threshold, and the question lands in one category:

- answered right: answered, the gold named;
- (a) retrieval miss: the gold is in none of the passages the evidence was chosen from;
- (b) selection miss: the gold is in a retrieved passage, but no cited passage holds it
  (split by answered / abstained);
- quoted, not named: answered, a cited passage holds the gold but the quoted sentences don't;
- (c) wrong abstention: abstained, though the would-be answer names the gold;
- (d) right passage, confidence too low: abstained, a cited passage holds the gold but the
  quoted sentences don't name it.

For (a), a plain bm25s (Porter stems, English stop words) over the same stored passages
(title + text), and over whole articles, restricted to the question's window (published up
to `--until`), gives the share of questions whose gold is in its top 5 / top 10. Only the tune
weeks are read; `--examples` writes their rows for reading.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibrate import apply_settings
from quality import load_questions, named, store_for

from bot.answer.confidence import confidence
from bot.answer.extractive import compose_extractive
from bot.cli.common import until_arg
from bot.config import Settings
from bot.engine import Engine
from bot.models import SearchFilters

CATEGORIES = (
    "answered right",
    "(a) retrieval miss",
    "(b) selection miss, answered",
    "(b) selection miss, abstained",
    "quoted, not named (answered)",
    "(c) wrong abstention",
    "(d) right passage, confidence too low",
)


def bm25s_hits(db: Path, asked: list, depth: tuple[int, ...] = (5, 10)) -> dict[str, list[bool]]:
    """For each question: is the gold in bm25s's top-n passages / articles of its window?"""
    import bm25s
    import snowballstemmer

    stemmer = snowballstemmer.stemmer("english")
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT c.article_id, a.title, c.text, COALESCE(a.published_at, a.ingested_at) "
        "FROM chunks c JOIN articles a ON a.id = c.article_id ORDER BY c.id"
    ).fetchall()
    con.close()
    units = {
        "passages": [(aid, f"{title}\n{text}", when) for aid, title, text, when in rows],
    }
    articles: dict[int, list] = {}
    for aid, title, text, when in rows:
        articles.setdefault(aid, [aid, title, when, []])[3].append(text)
    units["articles"] = [
        (aid, f"{t}\n" + "\n".join(parts), w) for aid, t, w, parts in articles.values()
    ]
    out: dict[str, list[bool]] = {}
    for unit, docs in units.items():
        texts = [d[1] for d in docs]
        when = np.array([d[2] for d in docs])
        retriever = bm25s.BM25()
        retriever.index(
            bm25s.tokenize(texts, stemmer=stemmer, show_progress=False), show_progress=False
        )
        for n in depth:
            out[f"bm25s {unit} top-{n}"] = []
        for a in asked:
            mask = (when <= f"{a.until}T00:00:00").astype(np.float32)
            tokens = bm25s.tokenize([a.question], stemmer=stemmer, show_progress=False)
            ids, _ = retriever.retrieve(tokens, k=max(depth), weight_mask=mask, show_progress=False)
            holds = [named(a.gold, texts[i]) for i in ids[0]]
            for n in depth:
                out[f"bm25s {unit} top-{n}"].append(any(holds[:n]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path("/tmp/briefbot-quality-rtqa"))
    ap.add_argument("--set", action="append", default=[], metavar="MODULE.NAME=VALUE")
    ap.add_argument("--examples", type=Path, default=None)
    ap.add_argument("--no-bm25s", action="store_true")
    args = ap.parse_args()
    apply_settings(args.set)
    asked = [a for a in load_questions(["answerable"]) if a.split == "tune"]
    data_dir = store_for(asked[0], args.cache)
    engine = Engine(Settings(data_dir=data_dir, auto_seed=False))
    threshold = engine.settings.answers.abstain_threshold
    cats: list[str] = []
    years: list[str] = []
    retrieved_any: list[bool] = []
    read_any: list[bool] = []
    examples = []
    for a in asked:
        filters = SearchFilters(until=until_arg(a.until))
        found = engine.pipeline.find(a.question, a.question, None, filters)
        passages = found.result.passages
        in_retrieved = any(named(a.gold, f"{p.title}\n{p.text}") for p in passages)
        in_read = any(named(a.gold, f"{p.title}\n{p.text}") for p in found.read)
        text, quoted = "", False
        if found.evidence.sentences:
            answer = compose_extractive(a.question, found.evidence)
            text = answer.answer
            quoted = any(named(a.gold, s.quote) for s in answer.sources)
        right = named(a.gold, text)
        answered = bool(text) and confidence(found.evidence.signals) >= threshold
        if answered and right:
            cat = CATEGORIES[0]
        elif not in_read:
            cat = CATEGORIES[1]
        elif not quoted:
            cat = CATEGORIES[2] if answered else CATEGORIES[3]
        elif answered:
            cat = CATEGORIES[4]
        else:
            cat = CATEGORIES[5] if right else CATEGORIES[6]
        cats.append(cat)
        years.append(a.year)
        retrieved_any.append(in_retrieved)
        read_any.append(in_read)
        examples.append(
            {
                "category": cat,
                "question": a.question,
                "gold": a.gold,
                "until": a.until,
                "confidence": round(confidence(found.evidence.signals), 3),
                "signals": {k: round(v, 2) for k, v in found.evidence.signals.items()},
                "answer": text[:600],
                "gold_ranks": [
                    i for i, p in enumerate(passages) if named(a.gold, f"{p.title}\n{p.text}")
                ],
                "titles": [p.title[:80] for p in passages],
            }
        )
    engine.close()
    n = len(asked)
    print(f"tune weeks, answerable: {n} questions; threshold {threshold}; settings {args.set}")
    print("| category | all | 2022 weeks | 2024 weeks |\n|---|---|---|---|")
    for c in CATEGORIES:
        row = [sum(1 for x in cats if x == c)]
        row += [
            sum(1 for x, y in zip(cats, years, strict=True) if x == c and y == yr)
            for yr in ("2022", "2024")
        ]
        print(f"| {c} | {row[0]} ({row[0] / n:.3f}) | {row[1]} | {row[2]} |")
    print(
        f"\ngold in the retrieved passages (top {engine.settings.answers.top_k}): "
        f"{sum(retrieved_any) / n:.3f}; in the passages evidence was chosen from: "
        f"{sum(read_any) / n:.3f}"
    )
    if not args.no_bm25s:
        for name, flags in bm25s_hits(data_dir / "briefbot.sqlite3", asked).items():
            print(f"{name}: {sum(flags) / n:.3f}")
    if args.examples:
        with args.examples.open("w", encoding="utf-8") as fh:
            for e in examples:
                fh.write(json.dumps(e, ensure_ascii=False) + "\n")
    print(Counter(cats))


if __name__ == "__main__":
    main()
