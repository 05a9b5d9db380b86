"""Daily slots across timezones and DST changes; naive times are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.briefing.slots import latest_slot, next_slot, slot_on, slots_between


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_same_wall_time_in_three_zones() -> None:
    after = utc(2023, 10, 17, 0, 0)
    assert next_slot("08:00", "UTC", after) == utc(2023, 10, 17, 8)
    assert next_slot("08:00", "Europe/Berlin", after) == utc(2023, 10, 17, 6)
    assert next_slot("08:00", "Asia/Tokyo", after) == utc(2023, 10, 17, 23)
    assert next_slot("08:00", "America/New_York", after) == utc(2023, 10, 17, 12)


def test_berlin_slot_moves_in_utc_across_the_autumn_change() -> None:
    # CEST ends on 2023-10-29: 08:00 local is 06:00 UTC before and 07:00 UTC after.
    saturday = next_slot("08:00", "Europe/Berlin", utc(2023, 10, 28, 0))
    sunday = next_slot("08:00", "Europe/Berlin", saturday)
    monday = next_slot("08:00", "Europe/Berlin", sunday)
    assert saturday == utc(2023, 10, 28, 6)
    assert sunday == utc(2023, 10, 29, 7)
    assert monday == utc(2023, 10, 30, 7)
    assert sunday - saturday == timedelta(hours=25)


def test_new_york_spring_forward_gap_and_fall_back_ambiguity() -> None:
    # 2024-03-10 02:30 does not exist in New York: sent at 03:30 EDT (07:30 UTC).
    assert slot_on(datetime(2024, 3, 10).date(), "02:30", "America/New_York") == utc(
        2024, 3, 10, 7, 30
    )
    # 2023-11-05 01:30 happens twice: the first one (EDT, 05:30 UTC), once.
    day_slots = slots_between(
        "01:30", "America/New_York", utc(2023, 11, 5, 0), utc(2023, 11, 6, 0), limit=5
    )
    assert day_slots == [utc(2023, 11, 5, 5, 30)]


def test_one_slot_per_local_day_over_a_dst_month() -> None:
    start, end = utc(2023, 10, 15), utc(2023, 11, 15)
    slots = slots_between("02:30", "Europe/London", start, end, limit=100)
    assert len(slots) == 31
    assert len({s.date() for s in slots}) == 31
    assert slots == sorted(slots)


def test_latest_slot_and_exact_boundaries() -> None:
    at = utc(2023, 10, 17, 6, 0)
    assert latest_slot("08:00", "Europe/Berlin", at) == at
    assert next_slot("08:00", "Europe/Berlin", at) == utc(2023, 10, 18, 6)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        next_slot("08:00", "UTC", datetime(2023, 10, 17, 8))
