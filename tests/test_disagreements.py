"""What the disagreement detector must flag, and the look-alikes it must not (precision first)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.briefing.disagreements import Report, find_conflicts

START = datetime(2023, 10, 2, 8, tzinfo=UTC)


def pair(first: str, second: str, *, hours: float = 2.0) -> list[Report]:
    """The same story from two outlets, `hours` apart (the first one earlier)."""
    return [
        Report(1, "Courier", START, first, ""),
        Report(2, "Herald", START + timedelta(hours=hours), second, ""),
    ]


def quotes(reports: list[Report]) -> list[list[str]]:
    return [[side.quote for side in c.sides] for c in find_conflicts(reports)]


@pytest.mark.parametrize(
    "first, second, expected",
    [
        # a later report counting fewer than the earlier one allowed
        (
            "At least 500 people killed in the Kestrel hospital blast, officials say",
            "The Kestrel hospital blast killed 200 to 300 people, officials say",
            ["At least 500 people killed", "killed 200 to 300 people"],
        ),
        (
            "Officials say 500+ killed in the Kestrel hospital blast",
            "Officials say between 200 and 300 killed in the Kestrel hospital blast",
            ["500+ killed", "between 200 and 300 killed"],
        ),
        (
            "Amazon to invest up to $4 billion in Anthropic, a rival to OpenAI",
            "Amazon invests $5 billion in Anthropic, a rival to OpenAI",
            ["up to $4 billion in Anthropic", "$5 billion in Anthropic"],
        ),
    ],
)
def test_figures_that_cannot_both_be_true_are_flagged(
    first: str, second: str, expected: list[str]
) -> None:
    assert quotes(pair(first, second)) == [expected]


def test_a_higher_toll_reported_later_is_an_update_and_a_lower_one_a_dispute() -> None:
    lower_first = pair("8 killed as the Kestrel dam bursts", "12 killed as the Kestrel dam bursts")
    assert find_conflicts(lower_first) == []
    higher_first = pair("12 killed as the Kestrel dam bursts", "8 killed as the Kestrel dam bursts")
    assert quotes(higher_first) == [["12 killed", "8 killed"]]
    at_once = pair("8 killed as the Kestrel dam bursts", "12 killed as the Kestrel dam bursts")
    at_once[1] = Report(2, "Herald", START, at_once[1].title, "")
    assert quotes(at_once) == [["8 killed", "12 killed"]]


@pytest.mark.parametrize(
    "first, second",
    [
        # figures the parser cannot be sure of
        ("Almost 2.000 killed in the Herat earthquake", "1,500 killed in the Herat earthquake"),
        ("Strikes in Hroza killed 1 in 6 villagers", "Strikes in Hroza killed 40"),
        (
            "Measles: 1,200 children under age 5 have died in Sudan camps",
            "Measles: 900 children have died in Sudan camps",
        ),
        # the counted group stops at "and": nobody counted 16 injured
        (
            "The Kestrel blast killed at least 16 people and injured dozens, police said",
            "The Kestrel blast left 10 injured, police said",
        ),
        # a sum, a part, two groups, two scopes
        (
            "Hurricane Otis: nearly 100 dead and missing on the Acapulco coast",
            "Hurricane Otis: 43 dead on the Acapulco coast",
        ),
        (
            "Another 50 people were injured in the Kestrel mosque blast",
            "20 people were injured in the Kestrel mosque blast",
        ),
        (
            "Kestrel raid: 30 Ostrians killed near the border post",
            "Kestrel raid: 12 Velden soldiers killed near the border post",
        ),
        (
            "Ostria says 400 killed in the Kestrel valley on Monday",
            "Ostria says 5,000 killed in the Kestrel valley since the war began",
        ),
        # different places or days named for the same noun
        (
            "Weekend shootings: 18 injured in Tampa after a party",
            "Weekend shootings: 8 injured in Indianapolis after a party",
        ),
        (
            "Floods: 15 deaths in Kenya as rivers burst their banks",
            "Floods: 44 deaths in Kenya and Somalia as rivers burst their banks",
        ),
        (
            "Kestrel valley floods: 30 killed on Monday, officials say",
            "Kestrel valley floods: 12 killed on Tuesday, officials say",
        ),
        # two figures whose sentences share too little to be about one event
        ("12 killed as Kestrel dam bursts", "Portmere bus crash: 8 killed on a mountain road"),
        # bounds that can both be true, forecasts, money from two different investors
        ("At least 40 dead in Sikkim floods", "At least 49 dead in Sikkim floods"),
        ("Kestrel flood: 12 killed so far", "Officials expect 30 killed in the Kestrel flood"),
        (
            "Google to invest $2 billion in Anthropic, a rival to OpenAI",
            "Amazon to invest $4 billion in Anthropic, a rival to OpenAI",
        ),
    ],
)
def test_look_alike_figures_are_not_flagged(first: str, second: str) -> None:
    assert find_conflicts(pair(first, second, hours=-1)) == []  # the second is the earlier
    assert find_conflicts(pair(first, second, hours=1)) == []


def test_two_parties_blaming_each_other_are_flagged() -> None:
    found = find_conflicts(
        pair(
            "Gaza officials say hundreds were killed at the al-Ahli hospital in an Israeli strike",
            "Hundreds killed at the al-Ahli hospital, Israel blames Islamic Jihad",
        )
    )
    assert [c.subject for c in found] == ["who is responsible"]
    assert [s.quote for s in found[0].sides] == ["Israeli strike", "blames Islamic Jihad"]


@pytest.mark.parametrize(
    "first, second",
    [
        # outlets' own wording: nobody is said to blame anyone
        (
            "The al-Ahli hospital in Gaza City was hit by an Israeli strike",
            "The al-Ahli hospital in Gaza City was hit by a Palestinian rocket",
        ),
        # one party blaming two others is not two sources disagreeing
        (
            "Russia blamed Ukraine for the riot at the Makhachkala airport",
            "Putin blames the West for the riot at the Makhachkala airport",
        ),
        # the same agent, spelled two ways; a proxy is no agent
        (
            "The Pentagon said rockets were fired by Iranian-backed militias at the al-Asad base",
            "The Pentagon said rockets were fired by Iran-backed militias at the al-Asad base",
        ),
        # protesters blaming different parties: no named speaker is the other's agent
        (
            "Protesters in the capital marched blaming Israel for the hospital deaths",
            "Protesters in the capital marched blaming Hamas for the hospital deaths",
        ),
    ],
)
def test_blame_that_is_no_dispute_is_not_flagged(first: str, second: str) -> None:
    assert find_conflicts(pair(first, second)) == []
