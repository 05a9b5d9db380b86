"""User text is never FTS5 syntax: operators, quotes and column filters are plain words."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.engine import Engine

# (question, a phrase the answer must contain, or None when it must abstain)
CASES = [
    ('"Ain al-Asad"', "Ain al-Asad airbase"),
    ('"Ain al-Asad', "Ain al-Asad airbase"),
    ('Ain al-Asad"', "Ain al-Asad airbase"),
    ("What hit \"Ain al-Asad'?", "drones and missiles"),
    ('What hit "Ain AND al-Asad"?', "drones and missiles"),
    ("Ain AND al-Asad", "Ain al-Asad airbase"),
    ("drones OR missiles Ain al-Asad", "drones and missiles"),
    ("NOT Ain al-Asad", "Ain al-Asad airbase"),
    ("NEAR(Ain al-Asad, 5)", "Ain al-Asad airbase"),
    ("Ain NEAR/3 Asad", "Ain al-Asad airbase"),
    ("Carn*", None),
    ("USS Carney*", "USS Carney intercepted"),
    ("title:Carney", "USS Carney intercepted"),
    ("text:Carney intercepted", "USS Carney intercepted"),
    ("(Carney", "USS Carney intercepted"),
    ("Carney)) OR ((", "USS Carney intercepted"),
    ("^Carney", "USS Carney intercepted"),
    ("+Carney -Houthi", "USS Carney intercepted"),
    ("Kataib Hezbollah: departure?", "departure of US forces"),
    ("title:foo", None),
    ("AND", None),
    ("OR NOT", None),
    ("*", None),
    ('"', None),
    ('""""', None),
    (":", None),
    ("()", None),
    ("^", None),
    ("-", None),
    ("chunks_fts MATCH 'x'; DROP TABLE articles; --", None),
]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = Engine(Settings(data_dir=tmp_path_factory.mktemp("fts")))
    engine.ensure_corpus()
    yield engine
    engine.close()


@pytest.mark.parametrize(("question", "expected"), CASES, ids=[c[0] for c in CASES])
def test_fts5_syntax_is_safe(seeded: Engine, question: str, expected: str | None) -> None:
    answer = seeded.answer_extractive(question)
    if expected is None:
        assert answer.abstained, answer.answer
        assert answer.sentences == []
    else:
        assert not answer.abstained, answer.answer
        assert expected in answer.answer
    assert seeded.stats().articles == 1  # nothing was executed as SQL


@pytest.mark.parametrize(
    "question", ["{title text}: Carney", "OR NOT NEAR", "title:", "NEAR/", "a:b:c", "x OR"]
)
def test_leftover_operator_words_are_just_words(seeded: Engine, question: str) -> None:
    result = seeded.search(question)
    for passage in result.passages:
        assert passage.article_id == 1


def test_non_ascii_and_control_characters(seeded: Engine) -> None:
    for question in ("ÀIN AL-ÀSAD", "ain\x00al\x1fasad", "عين الأسد", "💥 drones 💥", "x" * 5000):
        seeded.search(question)  # must not raise
    assert not seeded.answer_extractive("ÀIN AL-ÀSAD").abstained
