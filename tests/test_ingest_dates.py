"""Dates in the formats news comes in are stored as timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from corpus_helpers import prose, write_jsonl

from bot.engine import Engine
from bot.ingest.dates import DateParseError, parse_date

CASES = [
    ("2023-10-19T10:15:00Z", datetime(2023, 10, 19, 10, 15, tzinfo=UTC)),
    ("2023-10-19T10:15:00.123Z", datetime(2023, 10, 19, 10, 15, 0, 123000, tzinfo=UTC)),
    ("2023-10-19T12:15:00+02:00", datetime(2023, 10, 19, 10, 15, tzinfo=UTC)),
    ("2023-10-19T05:15:00-0500", datetime(2023, 10, 19, 10, 15, tzinfo=UTC)),
    ("2023-10-19 10:15:00", datetime(2023, 10, 19, 10, 15, tzinfo=UTC)),
    ("2023-10-19", datetime(2023, 10, 19, tzinfo=UTC)),
    ("Thu, 19 Oct 2023 12:15:00 +0200", datetime(2023, 10, 19, 10, 15, tzinfo=UTC)),
    ("Thu, 19 Oct 2023 10:15:00 GMT", datetime(2023, 10, 19, 10, 15, tzinfo=UTC)),
    ("Thu, 19 Oct 2023 06:15:00 EDT", datetime(2023, 10, 19, 10, 15, tzinfo=UTC)),
    ("2023/08/28", datetime(2023, 8, 28, tzinfo=UTC)),
    ("2023/8/5", datetime(2023, 8, 5, tzinfo=UTC)),
    ("Oct 19, 2023", datetime(2023, 10, 19, tzinfo=UTC)),
    ("October 19, 2023 3:30 PM", datetime(2023, 10, 19, 15, 30, tzinfo=UTC)),
    ("19 October 2023", datetime(2023, 10, 19, tzinfo=UTC)),
    (1697710500, datetime(2023, 10, 19, 10, 15, tzinfo=UTC)),
    (1697710500.0, datetime(2023, 10, 19, 10, 15, tzinfo=UTC)),
    (1697710500000, datetime(2023, 10, 19, 10, 15, tzinfo=UTC)),
    ("1697710500", datetime(2023, 10, 19, 10, 15, tzinfo=UTC)),
    ("1697710500000", datetime(2023, 10, 19, 10, 15, tzinfo=UTC)),
]


@pytest.mark.parametrize(("raw", "expected"), CASES, ids=[str(c[0]) for c in CASES])
def test_parse_date_returns_aware_utc(raw: object, expected: datetime) -> None:
    parsed = parse_date(raw)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() is not None
    assert parsed.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


@pytest.mark.parametrize("raw", ["not a date", "soon", "32/13/2023", [2023], float("nan"), 10**20])
def test_parse_date_rejects_non_dates(raw: object) -> None:
    with pytest.raises(DateParseError):
        parse_date(raw)


def test_missing_date_is_none() -> None:
    assert parse_date(None) is None
    assert parse_date("") is None


def test_ingested_dates_round_trip_as_utc(engine: Engine, tmp_path: Path) -> None:
    items = [
        {"title": f"Dated {i}", "text": prose(200 + i, 4), "date": raw}
        for i, (raw, _) in enumerate(CASES)
    ]
    report = engine.ingest([write_jsonl(tmp_path / "dated.jsonl", items)])
    assert (report.added, report.warnings) == (len(CASES), [])
    stored = {a.title: a.published_at for a in engine.articles.list_articles()}
    for i, (_, expected) in enumerate(CASES):
        got = stored[f"Dated {i}"]
        assert got is not None and got.tzinfo is not None
        # the store keeps whole seconds
        assert got == expected.replace(microsecond=0)


def test_stored_dates_sort_chronologically_across_offsets(engine: Engine, tmp_path: Path) -> None:
    items = [
        {"title": "late", "text": prose(1, 3), "date": "2023-10-19T01:00:00+05:00"},  # 20:00Z 18th
        {"title": "early", "text": prose(2, 3), "date": "2023-10-18T19:00:00Z"},
        {"title": "latest", "text": prose(3, 3), "date": "Thu, 19 Oct 2023 00:00:00 +0300"},
    ]
    engine.ingest([write_jsonl(tmp_path / "tz.jsonl", items)])
    newest_first = [a.title for a in engine.articles.list_articles()]
    assert newest_first == ["latest", "late", "early"]
    stats = engine.stats()
    assert stats.first_published == datetime(2023, 10, 18, 19, tzinfo=UTC)
    assert stats.last_published == datetime(2023, 10, 18, 21, tzinfo=UTC)
