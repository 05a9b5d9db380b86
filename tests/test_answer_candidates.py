"""Answer candidates: what a question asks for, the candidates a sentence holds, and how much
the articles agree on them (bot/answer/questions.py, candidates.py, support.py)."""

from __future__ import annotations

import pytest

from bot.answer.candidates import candidates, names
from bot.answer.places import place_kinds
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


def test_which_country_wants_a_known_country_and_who_wants_no_place() -> None:
    sentence = "Minister Kofi Mensah said Ghana and the Volta Basin Authority signed the deal."
    country = candidates(sentence, answer_type("Which country signed the deal?"), ())
    assert country == ["Ghana"]
    state = candidates("Voters in Kansas agreed, Ghana too.", answer_type("Which state voted?"), ())
    assert state == ["Kansas"]
    who = candidates(sentence, answer_type("Who signed the deal?"), ())
    assert "Ghana" not in who
    assert "Volta Basin Authority" in who
    # "where" may be a town no gazetteer lists: every name stays a candidate
    assert "Volta Basin Authority" in candidates(sentence, answer_type("Where was it signed?"), ())


def test_places_are_read_from_the_gazetteer() -> None:
    assert place_kinds("the United States") == {"country"}
    assert "state" in place_kinds("Texas")
    assert "capital" in place_kinds("Kyiv")
    assert not place_kinds("Kofi Mensah")
    assert place_kinds("Africa") == {"continent"}
    assert place_kinds("Ivory Coast") == {"country"}


def test_a_name_form_of_the_questions_own_name_is_no_candidate() -> None:
    asked = {"sri", "lankan", "president"}
    assert names("The president fled Sri Lanka for the Maldives.", asked) == ["Maldives"]
    assert candidate_key("Ukrainian forces", {"ukraine"}) == ("forces",)
    assert candidate_key("Ukraine", {"uk"}) == ("ukraine",)  # too short to be a name form


def test_a_percentage_or_money_question_wants_a_number_carrying_its_unit() -> None:
    text = "In the first quarter 3 firms raised prices 20% and paid $11bn, or 40 million pounds."
    percent = answer_type("What percentage did prices rise?")
    assert candidates(text, percent, ()) == ["20%"]
    money = answer_type("How much money did they pay?")
    assert candidates(text, money, ()) == ["11bn", "40", "million"]
    # a bare "how much" takes any count but not an ordinal
    assert "first" not in candidates(text, answer_type("How much did prices rise?"), ())
