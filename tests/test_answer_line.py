"""The extractive answer leads with the answer itself ("Bad Bunny [1]") when the question asks
for a type and the sources clearly give one candidate of it; never for untyped questions, and
never when another candidate is as well supported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answer.questions import question_facts
from bot.engine import Engine
from bot.models import Answer
from tests.corpus_helpers import main_in_process, write_jsonl


def _ingest(engine: Engine, tmp_path: Path, *items: dict[str, str]) -> None:
    report = engine.ingest([write_jsonl(tmp_path / "items.jsonl", list(items))])
    assert report.added == len(items)


def _item(n: int, title: str, text: str) -> dict[str, str]:
    return {
        "title": title,
        "text": text,
        "published_at": f"2024-02-0{n}T09:00:00Z",
        "url": f"https://example.org/{n}",
    }


GRAMMY = _item(
    1,
    "Music awards night in Lisbon",
    "Bad Bunny won the Golden Gramophone award for album of the year at the ceremony in "
    "Lisbon. The organisers praised a record number of entries this season.",
)
GRAMMY_AGAIN = _item(
    2,
    "Reggaeton star takes the top prize",
    "The Golden Gramophone award went to Bad Bunny on Saturday night. Fans queued for hours "
    "outside the hall before the show started.",
)
SENTENCE = _item(
    3,
    "Former treasurer sentenced",
    "The former treasurer of the rowing club was handed a nine-year sentence for fraud on "
    "Monday. The court heard that the money was spent on holidays and cars.",
)
TITLE_ONLY = _item(
    4,
    "Tom Cruise honoured for his service",
    "The actor, 62, received the Navy's Distinguished Public Service Award on Tuesday at a "
    "ceremony in the capital.",
)


def _line(answer: Answer) -> str | None:
    assert not answer.abstained, answer.answer
    first = answer.sentences[0]
    assert not any(s.answer_line for s in answer.sentences[1:])
    return first.text if first.answer_line else None


def test_a_typed_question_leads_with_its_answer_cited(engine: Engine, tmp_path: Path) -> None:
    _ingest(engine, tmp_path, GRAMMY, GRAMMY_AGAIN)
    answer = engine.answer_extractive("Who won the Golden Gramophone award?")
    assert _line(answer) == "Bad Bunny"
    line = answer.sentences[0]
    assert line.citations and line.citations == answer.sentences[1].citations
    cited = next(s for s in answer.sources if s.n == line.citations[0])
    assert "Bad Bunny" in cited.quote
    assert answer.answer.startswith(f"Bad Bunny [{line.citations[0]}]\n")
    assert all(s.citations for s in answer.sentences)


def test_an_untyped_question_gets_no_line(engine: Engine, tmp_path: Path) -> None:
    _ingest(engine, tmp_path, GRAMMY, GRAMMY_AGAIN)
    answer = engine.answer_extractive("What did the organisers of the Golden Gramophone say?")
    assert question_facts(answer.question).answer_type.kind == "any"
    assert _line(answer) is None
    assert "\n" not in answer.answer


def test_a_number_is_written_in_digits_with_the_asked_noun(engine: Engine, tmp_path: Path) -> None:
    _ingest(engine, tmp_path, SENTENCE)
    answer = engine.answer_extractive(
        "How many years is the former treasurer of the rowing club due to serve?"
    )
    assert _line(answer) == "9 years"
    assert "nine-year" in answer.sources[0].quote


def test_the_line_can_come_from_the_title(engine: Engine, tmp_path: Path) -> None:
    _ingest(engine, tmp_path, TITLE_ONLY)
    answer = engine.answer_extractive("Who received the Navy's Distinguished Public Service Award?")
    assert _line(answer) == "Tom Cruise"
    cited = answer.sources[answer.sentences[0].citations[0] - 1]
    assert "Tom Cruise" in cited.title


def test_no_line_when_the_sources_disagree(engine: Engine, tmp_path: Path) -> None:
    rival = _item(
        5,
        "Music awards night in Lisbon, another view",
        "Rosalia won the Golden Gramophone award for album of the year at the ceremony in "
        "Lisbon. The organisers praised a record number of entries this season.",
    )
    _ingest(engine, tmp_path, GRAMMY, rival)
    answer = engine.answer_extractive("Who won the Golden Gramophone award?")
    assert _line(answer) is None


def test_cli_shows_the_line_first_in_text_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "cli-data")
    items = write_jsonl(tmp_path / "awards.jsonl", [GRAMMY, GRAMMY_AGAIN])
    assert main_in_process(capsys, "ingest", str(items), "--no-seeds", "--data-dir", data)[0] == 0
    question = "Who won the Golden Gramophone award?"
    code, out, err = main_in_process(capsys, "ask", question, "--no-seeds", "--data-dir", data)
    assert code == 0, err
    first, second = out.splitlines()[:2]
    assert first == "Bad Bunny [1]"
    assert "Golden Gramophone" in second and second.endswith("]")
    code, out, err = main_in_process(
        capsys, "ask", question, "--json", "--no-seeds", "--data-dir", data
    )
    assert code == 0, err
    sentences = json.loads(out)["sentences"]
    assert sentences[0] == {"text": "Bad Bunny", "citations": [1], "answer_line": True}
    assert not any(s["answer_line"] for s in sentences[1:])


def test_no_number_line_when_the_sentence_holds_another_count(seeded_engine: Engine) -> None:
    """The seed gives "3,785 Palestinians killed and 12,493 wounded": the number the asked noun
    follows is not the count of the injured."""
    answer = seeded_engine.answer_extractive("How many Palestinians have been injured?")
    assert _line(answer) is None
    assert "12,493 wounded" in answer.answer
