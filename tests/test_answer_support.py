"""Support signals: sharing the question's words is not enough to answer it.

They feed the one calibrated confidence (bot/answer/confidence.py); only a count or a role
the question asks for and no sentence gives vetoes the answer (tests/test_answer_quality.py).
"""

from __future__ import annotations

from pathlib import Path

from bot.answer.evidence import names_missing
from bot.answer.questions import asked_clause, question_names
from bot.engine import Engine
from tests.corpus_helpers import write_jsonl
from tests.support.passages import make_passage

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


def test_a_report_from_the_year_asked_about_leads_the_answer(
    engine: Engine, tmp_path: Path
) -> None:
    _engine_with(engine, tmp_path, PREVIEW, OUTCOME)
    answer = engine.answer_extractive("What was the result of the 2024 presidential election?")
    assert not answer.abstained
    assert "Marlow" in answer.answer
    assert answer.sources[0].url == "https://example.org/outcome"


def test_names_of_the_question_must_be_in_the_source(engine: Engine, tmp_path: Path) -> None:
    _engine_with(engine, tmp_path, FESTIVAL)
    assert not engine.answer_extractive("What did Mayor Ellison praise at the festival?").abstained
    assert engine.answer_extractive("What did Mayor Kowalczyk praise at the festival?").abstained


def test_how_many_wants_a_number_and_links_are_not_words(engine: Engine, tmp_path: Path) -> None:
    _engine_with(engine, tmp_path, FESTIVAL)
    answer = engine.answer_extractive("How many visitors did the harbour festival draw?")
    assert not answer.abstained
    assert "40,000" in answer.sentences[0].text
    # Every word but "how many" is in the volunteers sentence, which has no number: the
    # answer says the sources do not give it.
    volunteers = engine.answer_extractive("How many volunteers ran the ferry terminal stalls?")
    assert volunteers.abstained
    assert (
        volunteers.answer
        == "None of these sources says how many volunteers ran the ferry terminal stalls."
    )
    # "penguin", "parade" and "sleep" appear only inside a link target.
    assert engine.answer_extractive("Where do parade penguins sleep?").abstained


def test_question_parts() -> None:
    assert question_names("Who founded the Ottoman Empire?") == {"ottoman", "empire"}
    # First word, acronyms, months and Title Case questions name nothing.
    assert question_names("Which US agency met in March?") == set()
    assert question_names("What Did Kataib Hezbollah Call For?") == set()
    assert asked_clause("So how many Israelis were killed?") == "how many Israelis were killed"
    assert asked_clause("Who is the president of Iran") == "who is the president of Iran"


def test_names_match_words_not_stems() -> None:
    """ "France" must not be found in a passage about CFA francs (same Porter stem)."""
    passage = make_passage("The CFA francs used in west Africa are pegged.", title="Currency peg")
    assert names_missing(question_names("What is the capital of France?"), passage) == 1.0
    assert names_missing(question_names("Where are CFA Francs used?"), passage) == 0.0
    plural = passage.model_copy(update={"text": "Two Palestinians were hurt."})
    assert names_missing(question_names("Where was the Palestinian hurt?"), plural) == 0.0
    goods = passage.model_copy(update={"text": "Prices of goods rose on Friday."})
    assert names_missing(question_names("What is the Good Friday Agreement?"), goods) > 0
    people = passage.model_copy(update={"text": "Iranian officials and Israelis met."})
    assert names_missing(question_names("Did Iran and Israel meet?"), people) == 0.0
