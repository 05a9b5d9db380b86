"""Support signals: sharing the question's words is not enough to answer it.

They feed the one calibrated confidence (bot/answer/confidence.py) rather than vetoing alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.answer.evidence import names_missing
from bot.answer.questions import numbers, past_years, question_figures, question_names
from bot.engine import Engine
from bot.models import Passage
from tests.corpus_helpers import write_jsonl

PREVIEW = {
    "title": "Candidates prepare for the 2024 presidential election",
    "text": "Campaigns are preparing for the 2024 presidential election. The result of the "
    "2024 presidential election will depend on turnout in a handful of states, analysts say.",
    "published_at": "2023-08-01T09:00:00Z",
    "url": "https://example.org/preview",
}
OUTCOME = {
    "title": "Governor Marlow wins the 2024 presidential election",
    "text": "Governor Alma Marlow won the 2024 presidential election with 52% of the vote. "
    "The result of the 2024 presidential election was declared after a long count.",
    "published_at": "2024-11-06T09:00:00Z",
    "url": "https://example.org/outcome",
}
FESTIVAL = {
    "title": "Harbour festival returns",
    "text": "The harbour festival drew 40,000 visitors to the waterfront this weekend. "
    "Mayor Ellison praised the volunteers who ran the ferry terminal stalls. "
    '<p>Photos: <a href="https://example.org/penguin-parade-sleep">gallery</a></p>',
    "published_at": "2023-07-02T09:00:00Z",
    "url": "https://example.org/festival",
}


def _engine_with(engine: Engine, tmp_path: Path, *items: dict[str, str]) -> Engine:
    report = engine.ingest([write_jsonl(tmp_path / "items.jsonl", list(items))])
    assert report.added == len(items)
    return engine


def test_a_source_older_than_the_year_asked_about_lowers_the_confidence(
    engine: Engine, tmp_path: Path
) -> None:
    question = "What was the result of the 2024 presidential election?"
    _engine_with(engine, tmp_path, PREVIEW, FESTIVAL)
    preview = engine.answer_extractive(question)
    # The same preview answers a future-tense question about that year without the penalty.
    future = engine.answer_extractive("What will the 2024 presidential election depend on?")
    assert not future.abstained
    assert future.confidence is not None and preview.confidence is not None
    assert preview.confidence < future.confidence


def test_a_report_from_the_year_asked_about_leads_the_answer(
    engine: Engine, tmp_path: Path
) -> None:
    _engine_with(engine, tmp_path, PREVIEW, OUTCOME)
    answer = engine.answer_extractive("What was the result of the 2024 presidential election?")
    assert not answer.abstained
    assert "Marlow" in answer.answer
    assert answer.sources[0].url == "https://example.org/outcome"


def test_names_and_numbers_of_the_question_must_be_in_the_source(
    engine: Engine, tmp_path: Path
) -> None:
    _engine_with(engine, tmp_path, FESTIVAL)
    assert not engine.answer_extractive("What did Mayor Ellison praise at the festival?").abstained
    assert engine.answer_extractive("What did Mayor Kowalczyk praise at the festival?").abstained
    assert not engine.answer_extractive("Where did the 40,000 festival visitors go?").abstained
    assert engine.answer_extractive("Where did the 90,000 festival visitors go?").abstained


def test_how_many_wants_a_number_and_links_are_not_words(engine: Engine, tmp_path: Path) -> None:
    _engine_with(engine, tmp_path, FESTIVAL)
    answer = engine.answer_extractive("How many visitors did the harbour festival draw?")
    assert not answer.abstained
    assert "40,000" in answer.sentences[0].text
    # Every word but "how many" is in the volunteers sentence, which has no number: the
    # answer, if any, says it does not give the number.
    volunteers = engine.answer_extractive("How many volunteers ran the ferry terminal stalls?")
    assert volunteers.abstained or (volunteers.note and "number asked for" in volunteers.note)
    # "penguin", "parade" and "sleep" appear only inside a link target.
    assert engine.answer_extractive("Where do parade penguins sleep?").abstained


def test_question_parts() -> None:
    assert past_years("Who won the 2024 Tour de France?") == [2024]
    assert past_years("Who will win the 2024 Tour de France?") == []
    assert question_names("Who founded the Ottoman Empire?") == {"ottoman", "empire"}
    # First word, acronyms, months and Title Case questions name nothing.
    assert question_names("Which US agency met in March?") == set()
    assert question_names("What Did Kataib Hezbollah Call For?") == set()
    assert question_figures("How many Palestinians were killed, 3,785?") == {"3785"}
    assert question_figures("What did Sanders say on Dec 10 about the 2024 race?") == {"2024"}
    assert question_figures("NEAR(Ain al-Asad, 5) or Ain NEAR/3 Asad") == set()
    assert numbers("3,785 killed, 12,493 wounded, 2.5%") == {"3785", "12493", "2", "5"}


def test_names_match_words_not_stems() -> None:
    """ "France" must not be found in a passage about CFA francs (same Porter stem)."""
    passage = Passage(
        chunk_id=1,
        article_id=1,
        ordinal=0,
        text="The CFA francs used in west Africa are pegged.",
        start=0,
        end=46,
        title="Currency peg",
        url=None,
        source=None,
        published_at=None,
        ingested_at=datetime(2023, 10, 1, tzinfo=UTC),
    )
    assert names_missing(question_names("What is the capital of France?"), passage) == 1.0
    assert names_missing(question_names("Where are CFA Francs used?"), passage) == 0.0
    plural = passage.model_copy(update={"text": "Two Palestinians were hurt."})
    assert names_missing(question_names("Where was the Palestinian hurt?"), plural) == 0.0
    goods = passage.model_copy(update={"text": "Prices of goods rose on Friday."})
    assert names_missing(question_names("What is the Good Friday Agreement?"), goods) > 0
