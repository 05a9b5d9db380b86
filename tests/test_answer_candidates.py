"""Answer candidates: what a question asks for, the candidates a sentence holds, and how much
the articles agree on them (bot/answer/questions.py, candidates.py, support.py)."""

from __future__ import annotations

import pytest

from bot.answer.candidates import names
from bot.answer.questions import answer_type
from bot.answer.support import candidate_key, support


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("The flame was lit this week. Where did the ceremony occur?", "place"),
        ("Amid concern in Washington, where did Nancy Pelosi travel?", "place"),
        ("Pelosi is stepping down. When did she first become speaker?", "date"),
        ("Which of these shows had the most nominations?", "name"),
        ("What is the estimated cost of the project?", "number"),
        ("The internet service is how fast?", "number"),
        ("Which US state raises the most turkeys?", "place"),
    ],
)
def test_the_question_word_of_a_later_clause_gives_the_answer_type(
    question: str, kind: str
) -> None:
    assert answer_type(question).kind == kind


def test_a_relative_where_inside_a_clause_does_not_ask_for_a_place() -> None:
    assert answer_type("Name the band that played in the town where they first met.").kind == (
        "any"
    )


def test_a_list_of_names_is_several_candidates() -> None:
    found = names("The Milwaukee Bucks, Miami Heat and the Indiana Pacers met in New York.", ())
    assert "Milwaukee Bucks" in " | ".join(found)
    assert not any("Bucks" in n and "Miami" in n for n in found)
    assert "New York" in found


def test_a_candidate_key_drops_the_questions_words_and_digit_separators() -> None:
    assert candidate_key("the Eiffel Tower") == ("eiffel", "tower")
    assert candidate_key("2,000") == ("2000",)
    assert candidate_key("Mayor Eric Adams", {"eric", "adams"}) == ("mayor",)


def test_support_sums_agreeing_articles_and_a_short_name_counts_for_the_long_one() -> None:
    backing = support(
        [
            (["Joe Biden"], 1, 1.0),
            (["Biden"], 2, 1.0),
            (["Donald Trump"], 3, 1.0),
            (["Donald Trump"], 3, 0.9),  # the same article again adds nothing
        ]
    )
    assert backing.top == ("joe", "biden")
    assert backing.articles[("joe", "biden")] == {1, 2}
    assert backing.of(("donald", "trump")) == pytest.approx(0.5)


def test_a_sentence_far_weaker_than_the_best_lends_little_support() -> None:
    backing = support([(["Kansas"], 1, 2.0), (["Texas"], 2, 0.0), (["Texas"], 3, 0.0)])
    assert backing.top == ("kansas",)
