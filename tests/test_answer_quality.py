"""Answer quality on the cases real questions exposed: time words in names, the answer type,
paraphrases, follow-ups, abstentions that explain themselves, and answers that do not repeat.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.models import Turn
from tests.corpus_helpers import write_jsonl

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED_QUESTION = "What hit Ain al-Asad?"

TRUMP = {
    "title": "Judge rules against Trump Organization",
    "text": "A New York judge ruled on Tuesday that Donald Trump and his adult sons were "
    "liable for fraud, after finding that the former president inflated his net worth. "
    "The ruling by Justice Arthur Engoron came days before a civil trial was due to begin. "
    "Lawyers for the former president said they would appeal.",
    "published_at": "2023-09-27T09:00:00Z",
    "url": "https://example.org/trump-fraud",
    "source": "Example News",
}
SUNDAY_TIMES = {
    "title": "Minister resigns over leaked memo",
    "text": "The Sunday Times reported that the minister had seen the memo weeks before it "
    "leaked. The newspaper said officials had warned him in writing.",
    "published_at": "2023-06-04T08:00:00Z",
    "url": "https://example.org/memo",
    "source": "Example News",
}


def _ingest(engine: Engine, tmp_path: Path, *items: dict[str, str]) -> Engine:
    report = engine.ingest([write_jsonl(tmp_path / "items.jsonl", list(items))])
    assert report.added == len(items)
    return engine


def test_a_plain_which_state_question_is_answered_with_the_state_first(
    engine: Engine, tmp_path: Path
) -> None:
    _ingest(engine, tmp_path, TRUMP, SUNDAY_TIMES)
    answer = engine.answer_extractive(
        "Former President Donald Trump and his adult sons were found liable for fraud in "
        "which state?"
    )
    assert not answer.abstained
    assert "New York" in answer.sentences[0].text


def test_a_newspaper_named_after_a_weekday_is_not_a_date_filter(
    engine: Engine, tmp_path: Path
) -> None:
    """ "Sunday Times" must not restrict the search to last Sunday's articles."""
    _ingest(engine, tmp_path, TRUMP, SUNDAY_TIMES)
    answer = engine.answer_extractive("What did the Sunday Times report about the minister?")
    assert not answer.abstained
    assert "memo" in answer.sentences[0].text


def test_how_many_wants_the_asked_noun_next_to_the_number(seeded_engine: Engine) -> None:
    """The seed counts Palestinians killed, not Israelis: the answer must not pass that number
    off as the count asked for."""
    answer = seeded_engine.answer_extractive("How many Israelis were killed?")
    assert answer.abstained and "3,785" not in answer.answer
    assert answer.answer == "None of these sources says how many Israelis were killed."
    counted = seeded_engine.answer_extractive("How many Palestinians were killed?")
    assert not counted.abstained and counted.note is None
    assert "3,785 Palestinians" in counted.sentences[0].text


def test_a_role_of_another_country_is_not_an_answer(seeded_engine: Engine) -> None:
    """The seed names the European Commission's president, not Iran's."""
    answer = seeded_engine.answer_extractive("Who is the president of Iran?")
    assert answer.abstained and "von der Leyen" not in answer.answer


def test_injured_finds_wounded(seeded_engine: Engine) -> None:
    answer = seeded_engine.answer_extractive("How many Palestinians have been injured?")
    assert not answer.abstained
    assert "12,493 wounded" in answer.sentences[0].text


def test_paraphrase_matching_runs_only_when_the_words_fall_short(seeded_engine: Engine) -> None:
    """The word-embedding model costs a cold process ~0.4 s: a question its own words answer
    never calls it; one whose words are not in the source ("injured" for "wounded") does."""
    real = seeded_engine.pipeline.paraphrase
    assert real is not None
    calls: list[list[str]] = []

    def recording(missing: list[str], present: set[str]) -> dict[str, float]:
        calls.append(missing)
        return real(missing, present)

    seeded_engine.pipeline.paraphrase = recording
    assert not seeded_engine.answer_extractive(SEED_QUESTION).abstained
    assert calls == []
    injured = seeded_engine.answer_extractive("How many Palestinians have been injured?")
    assert "12,493 wounded" in injured.sentences[0].text
    assert any("injured" in missing for missing in calls)


def test_attacked_with_finds_the_drones_sentence(seeded_engine: Engine) -> None:
    answer = seeded_engine.answer_extractive("What was Ain al-Asad attacked with?")
    assert not answer.abstained
    assert "drones and missiles" in answer.answer


async def test_follow_up_with_another_corpus_beside_the_seed(
    seeded_engine: Engine,
) -> None:
    seeded_engine.ingest([FIXTURES / "bbc_small.jsonl"])
    first = await seeded_engine.ask(SEED_QUESTION, mode="extractive")
    history = [Turn(question=SEED_QUESTION, answer=first.answer)]
    answer = await seeded_engine.ask("How many Marines?", history=history, mode="extractive")
    assert not answer.abstained
    assert "2,000 Marines" in answer.sentences[0].text
    assert answer.standalone_question and "Marines" in answer.standalone_question


def test_abstention_says_why(seeded_engine: Engine) -> None:
    answer = seeded_engine.answer_extractive("Who won the 2018 World Cup?")
    assert answer.abstained and answer.why is not None
    assert answer.why.confidence < answer.why.threshold
    assert {"won", "world", "cup"} & set(answer.why.missing_terms)
    assert 0.0 <= answer.why.best_coverage < 1.0


def test_ask_json_carries_why_and_verbose_logs_the_retrieval(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "-v", "--json", "Who won the 2018 World Cup?"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    data = json.loads(out.stdout)
    assert data["abstained"] and data["why"]["threshold"] > data["why"]["confidence"]
    assert "retrieved" in out.stderr and "confidence" in out.stderr


def test_a_time_filter_that_leaves_weak_evidence_is_relaxed_and_said(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Asked "this week" with only an older report: the answer uses it and says so."""
    _ingest(engine, tmp_path, TRUMP)
    newer = {
        "title": "Harbour festival returns",
        "text": "The harbour festival drew 40,000 visitors to the waterfront this weekend.",
        "published_at": "2023-10-20T09:00:00Z",
        "url": "https://example.org/festival",
    }
    engine.ingest([write_jsonl(tmp_path / "newer.jsonl", [newer])])
    with caplog.at_level(logging.DEBUG, logger="bot.answer.pipeline"):
        answer = engine.answer_extractive(
            "Which judge found Donald Trump and his sons liable for fraud this week?"
        )
    assert not answer.abstained
    assert "Engoron" in answer.answer
    assert answer.note and "this week" in answer.note
    assert "time scope" in caplog.text


def test_answer_sentences_do_not_restate_each_other(engine: Engine, tmp_path: Path) -> None:
    base = {
        "published_at": "2023-10-20T09:00:00Z",
        "source": "Wire",
    }
    items = [
        {
            **base,
            "title": "Storm floods river valley",
            "url": "https://example.org/a",
            "text": "Storm Babet flooded the river valley on Friday, forcing 300 families "
            "from their homes. Volunteers filled sandbags through the night.",
        },
        {
            **base,
            "title": "River valley flooded by Storm Babet",
            "url": "https://example.org/b",
            "text": "Storm Babet flooded the river valley on Friday, forcing 300 families "
            "out of their homes, officials said. The council opened two shelters.",
        },
    ]
    _ingest(engine, tmp_path, *items)
    answer = engine.answer_extractive("How many families did Storm Babet force from their homes?")
    assert not answer.abstained
    quoted = [s for s in answer.sentences if not s.answer_line]
    assert sum("300 families" in s.text for s in quoted) == 1
    assert answer.sentences[0].answer_line and answer.sentences[0].text == "300 families"


def test_the_answer_reads_past_the_five_best_articles(engine: Engine, tmp_path: Path) -> None:
    """Real questions often find their answer in the sixth to tenth article retrieved: the
    evidence is read from the ten best, more than the default `top_k` passages reach."""
    items = [
        {
            "title": f"Harbour council meets, report {n}",
            "text": f"The harbour council met on Monday to discuss the new ferry timetable. "
            f"Councillor number {n} spoke about the ferry fares and the harbour wall.",
            "published_at": f"2023-10-{n + 1:02d}T09:00:00Z",
            "url": f"https://example.org/harbour-{n}",
            "source": "Harbour Post",
        }
        for n in range(14)
    ]
    _ingest(engine, tmp_path, *items)
    question = "What did the harbour council discuss about the ferry timetable?"
    found = engine.pipeline.find(question, question, None, None)
    assert len({p.article_id for p in found.read}) == 10
    assert len(found.result.passages) >= 12
