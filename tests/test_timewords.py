"""Time expressions in questions, relative to a fixed reference time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.retrieval.timewords import parse_time_words

REF = datetime(2023, 10, 20, 15, 30, tzinfo=UTC)  # a Friday


def day(y: int, m: int, d: int, end: bool = False) -> datetime:
    return datetime(y, m, d, 23, 59, 59, tzinfo=UTC) if end else datetime(y, m, d, tzinfo=UTC)


@pytest.mark.parametrize(
    ("question", "since", "until", "rest"),
    [
        (
            "What happened yesterday in Gaza?",
            day(2023, 10, 19),
            day(2023, 10, 19, True),
            "What happened in Gaza?",
        ),
        (
            "Any news today about Iran?",
            day(2023, 10, 20),
            day(2023, 10, 20, True),
            "Any news about Iran?",
        ),
        (
            "What did Biden say this week?",
            day(2023, 10, 14),
            day(2023, 10, 20, True),
            "What did Biden say?",
        ),
        ("strikes in the past 3 days", day(2023, 10, 18), day(2023, 10, 20, True), "strikes"),
        ("protests over the last two weeks", day(2023, 10, 7), day(2023, 10, 20, True), "protests"),
        ("What happened last month?", day(2023, 9, 1), day(2023, 9, 30, True), "What happened?"),
        ("markets this month", day(2023, 10, 1), day(2023, 10, 20, True), "markets"),
        (
            "What hit Ain al-Asad on Oct 18?",
            day(2023, 10, 18),
            day(2023, 10, 18, True),
            "What hit Ain al-Asad?",
        ),
        ("news from 18 October 2023", day(2023, 10, 18), day(2023, 10, 18, True), "news from"),
        ("the vote on the 3rd of March", day(2023, 3, 3), day(2023, 3, 3, True), "the vote"),
        ("What happened on Monday?", day(2023, 10, 16), day(2023, 10, 16, True), "What happened?"),
        ("floods in December", day(2022, 12, 1), day(2022, 12, 31, True), "floods"),
        ("floods in September 2021", day(2021, 9, 1), day(2021, 9, 30, True), "floods"),
    ],
)
def test_windows(question: str, since: datetime, until: datetime, rest: str) -> None:
    tq = parse_time_words(question, REF)
    assert (tq.since, tq.until) == (since, until)
    assert tq.text == rest


def test_a_day_without_a_year_is_its_nearest_occurrence() -> None:
    tq = parse_time_words("What happened on Dec 5?", datetime(2024, 2, 10, tzinfo=UTC))
    assert tq.since == day(2023, 12, 5)


@pytest.mark.parametrize(
    "question",
    [
        "Which app faces a ban in the US on November 5?",
        "Which food is eaten at the contest held on Dec. 24?",
    ],
)
def test_a_coming_day_does_not_scope_the_question(question: str) -> None:
    tq = parse_time_words(question, REF)
    assert not tq.has_window
    assert tq.text == question


def test_absolute_dates_are_marked_so_they_boost_rather_than_filter() -> None:
    assert parse_time_words("sales fell in November", REF).absolute
    assert parse_time_words("on Oct 18", REF).absolute
    assert not parse_time_words("yesterday", REF).absolute


@pytest.mark.parametrize(
    "question", ["What is the latest on Gaza?", "most recent jobs report", "Gaza news recently"]
)
def test_recency_words_ask_for_newest_without_a_window(question: str) -> None:
    tq = parse_time_words(question, REF)
    assert tq.prefer_recent and not tq.has_window
    assert "latest" not in tq.text and "recent" not in tq.text


@pytest.mark.parametrize(
    "question",
    [
        "How many Marines were deployed?",
        "Who won the 2018 World Cup?",
        "GDP fell in the last three months of 2004",
        "What did the May government decide?",
    ],
)
def test_questions_without_time_words_are_untouched(question: str) -> None:
    tq = parse_time_words(question, REF)
    assert not tq.has_window and not tq.prefer_recent
    assert tq.text == question


def test_naive_reference_is_taken_as_utc() -> None:
    tq = parse_time_words("yesterday", datetime(2023, 10, 20, 1, 0))
    assert tq.since == day(2023, 10, 19)


@pytest.mark.parametrize(
    "question",
    [
        "What did the Sunday Times report?",
        "What is the Good Friday Agreement?",
        "Who was behind the Easter Sunday attacks?",
        "How much did shoppers spend on Black Friday?",
        "Which states vote on Super Tuesday?",
        "Who presents the Today programme?",
        "What did USA Today say about the strike?",
        "Who hosts Last Week Tonight?",
        "What may happen to the ceasefire?",
    ],
)
def test_time_words_inside_names_do_not_scope_the_question(question: str) -> None:
    tq = parse_time_words(question, REF)
    assert not tq.has_window, tq
    assert tq.text == question


def test_a_name_does_not_hide_a_real_time_scope_later_in_the_question() -> None:
    tq = parse_time_words("What did the Sunday Times report on Monday?", REF)
    assert (tq.since, tq.until) == (day(2023, 10, 16), day(2023, 10, 16, True))
    assert tq.text == "What did the Sunday Times report?"


def test_this_week_and_last_week_are_different_windows() -> None:
    this = parse_time_words("What did Biden say this week?", REF)
    last = parse_time_words("What did Biden say last week?", REF)
    assert (this.since, this.until) == (day(2023, 10, 14), day(2023, 10, 20, True))
    assert (last.since, last.until) == (day(2023, 10, 9), day(2023, 10, 15, True))


def test_capitalised_may_is_a_month_and_lower_case_may_is_not() -> None:
    assert parse_time_words("floods in May", REF).since == day(2023, 5, 1)
    assert not parse_time_words("what we may see in may", REF).has_window


@pytest.mark.parametrize(
    "text",
    [
        "Lawmakers voted to reject the hard-line conservative on Friday, compounding the chaos",
        "Ryan O'Neal, who died on Friday at the age of 82, was best known for",
        "The United Autoworkers Union went on strike today at one of Ford's plants",
        "Iran launched drones at the Ain al-Asad base in Iraq on Friday, officials said",
    ],
)
def test_a_statement_keeps_its_time_words_as_words(text: str) -> None:
    tq = parse_time_words(text, REF)
    assert not tq.has_window and not tq.prefer_recent
    assert tq.text == text


@pytest.mark.parametrize(
    "text",
    [
        "Which union went on strike at one of Ford's most important plants today?",
        "Actor Philip Baker Hall died this week. He was in all of these movies except:",
        "tell me what the union leaders said about the Ford strike today",
        "I'd like to know what the union leaders said about the Ford strike today",
        "I want the latest on what the union leaders said about the strike yesterday",
        "We need a summary of what the union leaders said about the strike this week",
        "let me know what the union leaders said about the Ford strike today",
        "Ford strike today",
    ],
)
def test_questions_requests_and_keyword_queries_are_scoped(text: str) -> None:
    assert parse_time_words(text, REF).has_window


def test_a_quoted_first_person_headline_is_still_a_statement() -> None:
    text = '"I was there when the drones hit," a soldier at Ain al-Asad said on Friday'
    tq = parse_time_words(text, REF)
    assert not tq.has_window and tq.text == text
