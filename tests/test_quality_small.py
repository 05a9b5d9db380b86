"""A small run of the retrieval quality harness: ranking regressions fail CI.

40 hand-written questions over 52 BBC articles (tests/fixtures/bbc_small.jsonl), plus
off-corpus questions from benchmarks/data. Floors sit a little under the measured figures
(see docs/benchmarks.md, "Retrieval quality (issue 7)").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.engine import Engine

FIXTURES = Path(__file__).resolve().parent / "fixtures"
OFF_CORPUS = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "qa_offcorpus.jsonl"


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


QA = _rows(FIXTURES / "bbc_small_qa.jsonl")
OFF = [r["question"] for r in _rows(OFF_CORPUS)]


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("quality")
    engine = Engine(Settings(data_dir=data, auto_seed=False, retrieval="hybrid"))
    report = engine.ingest([FIXTURES / "bbc_small.jsonl"])
    engine.close()
    assert report.added == 52
    return data


@pytest.fixture(params=["bm25", "hybrid", "dense"])
def engine(request: pytest.FixtureRequest, corpus_dir: Path) -> Iterator[Engine]:
    eng = Engine(Settings(data_dir=corpus_dir, auto_seed=False, retrieval=request.param))
    yield eng
    eng.close()


def _rank(engine: Engine, question: str, gold: str) -> int | None:
    ids = {
        int(r[0])
        for r in engine.store.db.query("SELECT id FROM articles WHERE external_id = ?", (gold,))
    }
    order: list[int] = []
    for p in engine.search(question, k=20).passages:
        if p.article_id not in order:
            order.append(p.article_id)
    for i, article_id in enumerate(order, start=1):
        if article_id in ids:
            return i
    return None


FLOORS = {
    # mode: (Hit@1, Hit@5)
    "bm25": (0.95, 1.0),
    "hybrid": (0.95, 1.0),
    "dense": (0.85, 0.95),
}


def test_ranking_hits_the_answering_article(engine: Engine) -> None:
    ranks = [_rank(engine, q["question"], q["article"]) for q in QA]
    hit1 = sum(1 for r in ranks if r == 1) / len(ranks)
    hit5 = sum(1 for r in ranks if r is not None and r <= 5) / len(ranks)
    floor1, floor5 = FLOORS[engine.settings.retrieval.mode]
    assert hit1 >= floor1, f"Hit@1 {hit1:.3f} < {floor1}"
    assert hit5 >= floor5, f"Hit@5 {hit5:.3f} < {floor5}"


def test_answers_in_corpus_and_abstains_off_corpus(engine: Engine) -> None:
    if engine.settings.retrieval.mode == "dense":
        pytest.skip("abstention floors are set for the lexical and hybrid modes")
    answers = [engine.answer_extractive(q["question"]) for q in QA]
    answered = sum(1 for a in answers if not a.abstained) / len(QA)
    contains = sum(
        1 for a, q in zip(answers, QA, strict=True) if q["answer"].lower() in a.answer.lower()
    ) / len(QA)
    abstained = sum(1 for q in OFF if engine.answer_extractive(q).abstained) / len(OFF)
    assert answered >= 0.95, f"in-corpus answer rate {answered:.3f}"
    assert contains >= 0.8, f"answer contains gold {contains:.3f}"
    assert abstained >= 0.95, f"off-corpus abstention {abstained:.3f}"
