"""`/subscribe [HH:MM] [timezone] [keywords…]` parsing: defaults, order, clear errors."""

from __future__ import annotations

import pytest

from bot.briefing.subscribe_args import SubscribeError, parse_subscribe_args


def parse(*args: str, chat_tz: str | None = None):
    return parse_subscribe_args(
        list(args), chat_timezone=chat_tz, default_time="08:00", default_timezone="UTC"
    )


def test_defaults_name_their_origin() -> None:
    req = parse()
    assert (req.time_of_day, req.timezone, req.timezone_origin) == ("08:00", "UTC", "default")
    req = parse(chat_tz="Asia/Tokyo")
    assert (req.timezone, req.timezone_origin) == ("Asia/Tokyo", "chat")


def test_time_zone_and_keywords_in_any_order() -> None:
    req = parse("7:30", "europe/berlin", "Iraq,", "Syria,", "Houthi")
    assert req.time_of_day == "07:30"
    assert req.timezone == "Europe/Berlin" and req.timezone_origin == "given"
    assert req.keywords == ["Iraq", "Syria", "Houthi"]
    req = parse("America/New_York", "8pm", "Gaza Strip, West Bank")
    assert (req.time_of_day, req.timezone) == ("20:00", "America/New_York")
    assert req.keywords == ["Gaza Strip", "West Bank"]


def test_country_names_that_are_legacy_zones_stay_keywords() -> None:
    req = parse("Israel", "Japan")
    assert req.timezone == "UTC" and req.keywords == ["Israel", "Japan"]
    assert parse("2024", "Olympics").keywords == ["2024", "Olympics"]


@pytest.mark.parametrize("bad", ["25:00", "8:75", "13pm", "24:00", "7:5"])
def test_bad_times_are_explained(bad: str) -> None:
    with pytest.raises(SubscribeError, match=r"not a time of day.*HH:MM"):
        parse(bad)


def test_unknown_timezone_suggests_a_close_name() -> None:
    with pytest.raises(SubscribeError, match=r"Unknown timezone “Europe/Berln”.*Europe/Berlin"):
        parse("08:00", "Europe/Berln")
    with pytest.raises(SubscribeError, match="Unknown timezone"):
        parse("Mars/Olympus_Mons")


def test_utc_offsets_are_refused_because_of_dst() -> None:
    with pytest.raises(SubscribeError, match="daylight saving"):
        parse("08:00", "UTC+2")


def test_too_many_keywords() -> None:
    with pytest.raises(SubscribeError, match="At most 10 keywords"):
        parse(*[f"k{i}" for i in range(11)])
