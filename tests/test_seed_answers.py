"""The default experience: seed corpus, extractive answers, abstention."""

from __future__ import annotations

import pytest

from bot.engine import Engine


def _ask(engine: Engine, question: str):
    return engine.answer_extractive(question)


def test_what_hit_ain_al_asad_mentions_drones_and_missiles(seeded_engine: Engine) -> None:
    answer = _ask(seeded_engine, "What hit Ain al-Asad?")
    assert not answer.abstained
    assert "drones and missiles" in answer.answer
    assert all(s.citations == [1] for s in answer.sentences)
    assert answer.sources[0].title.startswith("US troops attacked in Iraq and Syria")
    assert "[1]" in answer.answer


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What did the USS Carney intercept?", "land attack cruise missiles"),
        ("How many Palestinians were killed?", "3,785 Palestinians killed"),
        ("What did al-Sistani say?", "terrible brutality"),
        ("What did Kataib Hezbollah call for?", "departure of US forces"),
        ("How many Marines were deployed?", "2,000 Marines"),
    ],
)
def test_seed_questions_answered_from_the_right_sentence(
    seeded_engine: Engine, question: str, expected: str
) -> None:
    answer = _ask(seeded_engine, question)
    assert not answer.abstained
    assert expected in answer.sentences[0].text


@pytest.mark.parametrize(
    "question",
    [
        "Who won the 2018 World Cup?",
        "What is the capital of France?",
        "recipe for banana bread",
        "Who won the Champions League final?",
    ],
)
def test_off_corpus_questions_abstain(seeded_engine: Engine, question: str) -> None:
    answer = _ask(seeded_engine, question)
    assert answer.abstained
    assert answer.sentences == []
    assert "couldn't find anything" in answer.answer
