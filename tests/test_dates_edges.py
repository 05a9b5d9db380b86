"""Dates at the edges of the calendar: stored padded, read tolerantly, windows clamped.

One record dated before year 1000, or a feed with a wrong clock, must not poison the store;
`--date/--since/--until` at years 1 and 9999 give a window or one clean line, never a
traceback.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from corpus_helpers import main_in_process, prose, write_jsonl

from bot.briefing.window import day_window, explicit_window, since_last_briefing
from bot.config import Settings
from bot.engine import Engine
from bot.ingest.readers import Record
from bot.retrieval.timewords import parse_time_words
from bot.store.timefmt import EARLIEST, LATEST, from_db, minute_text, shifted, to_db

Cap = pytest.CaptureFixture[str]


def _records() -> list[dict[str, str]]:
    return [
        {
            "title": "Harbour council approves ferry terminal",
            "text": prose(1),
            "published_at": "0999-05-01",
            "url": "https://example.org/old",
        },
        {
            "title": "Steel bridge reopens after flood",
            "text": prose(2),
            "published_at": "2023-10-18T09:00:00Z",
            "url": "https://example.org/new",
        },
    ]


def test_years_before_1000_are_stored_padded_and_every_read_works(
    tmp_path: Path, capsys: Cap
) -> None:
    data = tmp_path / "d"
    path = write_jsonl(tmp_path / "a.jsonl", _records())
    code, _, err = main_in_process(capsys, "ingest", str(path), "--data-dir", str(data))
    assert code == 0, err
    conn = sqlite3.connect(data / "briefbot.sqlite3")
    stored = sorted(r[0] for r in conn.execute("SELECT published_at FROM articles"))
    conn.close()
    assert stored == ["0999-05-01T00:00:00+00:00", "2023-10-18T09:00:00+00:00"]
    for args in (["stats"], ["sources"], ["ask", "harbour ferry terminal"]):
        code, out, err = main_in_process(capsys, *args, "--data-dir", str(data), "--no-seeds")
        assert code == 0, err
        assert "Traceback" not in err
    code, out, _ = main_in_process(capsys, "sources", "--data-dir", str(data))
    assert "0999-05-01" in out
    code, out, _ = main_in_process(capsys, "stats", "--json", "--data-dir", str(data))
    assert '"last_published": "2023-10-18T09:00:00Z"' in out or "2023-10-18T09:00:00" in out


def test_rows_stored_unpadded_are_read_and_repaired(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d", auto_seed=False)
    engine = Engine(settings)
    engine.ingest([write_jsonl(tmp_path / "a.jsonl", _records())])
    engine.close()
    # what the old strftime("%Y") wrote, and a URL from before ingest checked schemes
    conn = sqlite3.connect(settings.store.db_path or "")
    conn.execute(
        "UPDATE articles SET published_at = '999-05-01T00:00:00+00:00',"
        " url = 'javascript:alert(1)', canonical_url = 'javascript:alert(1)'"
        " WHERE published_at LIKE '0999%'"
    )
    conn.execute("PRAGMA user_version = 8")
    conn.commit()
    conn.close()
    engine = Engine(settings)
    try:
        stats = engine.stats()
        sources = engine.sources()
    finally:
        engine.close()
    assert stats.first_published == datetime(999, 5, 1, tzinfo=UTC)
    assert stats.last_published == datetime(2023, 10, 18, 9, tzinfo=UTC)
    assert [a.url for a in sources] == ["https://example.org/new", None]
    conn = sqlite3.connect(settings.store.db_path or "")
    assert conn.execute("SELECT min(published_at) FROM articles").fetchone()[0] == (
        "0999-05-01T00:00:00+00:00"
    )
    conn.close()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("999-05-01T00:00:00+00:00", datetime(999, 5, 1, tzinfo=UTC)),
        ("5-01-02T03:04:05+00:00", datetime(5, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("0001-01-01T00:00:00+00:00", EARLIEST),
        ("9999-12-31T23:59:59+00:00", LATEST),
        ("2023-10-18T09:00:00", datetime(2023, 10, 18, 9, tzinfo=UTC)),
        ("not a time", None),
        ("99999-01-01T00:00:00+00:00", None),
    ],
)
def test_from_db_reads_every_stored_shape_and_never_raises(
    value: str, expected: datetime | None
) -> None:
    assert from_db(value) == expected


def test_to_db_pads_years_and_round_trips_the_edges() -> None:
    assert to_db(datetime(999, 5, 1, tzinfo=UTC)) == "0999-05-01T00:00:00+00:00"
    for dt in (EARLIEST, LATEST, datetime(2023, 10, 18, 9, 0, 0, 500, tzinfo=UTC)):
        assert from_db(to_db(dt)) == dt.replace(microsecond=0)
    assert minute_text(EARLIEST) == "0001-01-01 00:00"


def test_a_date_far_in_the_future_is_kept_undated_with_a_warning(engine: Engine) -> None:
    soon = datetime.now(UTC) + timedelta(hours=20)
    records = [
        {"title": "Wrong clock", "text": prose(3), "published_at": "2999-01-01T00:00:00Z"},
        {"title": "Tomorrow's time zone", "text": prose(4), "published_at": soon.isoformat()},
    ]
    report = engine.ingestor.ingest_records(
        Record(origin=f"r{i}", fields=r) for i, r in enumerate(records)
    )
    assert report.added == 2
    assert [w.reason for w in report.warnings] == [
        "date 2999-01-01T00:00:00+00:00 is in the future; stored without a date"
    ]
    stats = engine.stats()
    assert stats.last_published is not None and stats.last_published.year == soon.year


def test_clamped_arithmetic() -> None:
    assert shifted(LATEST, timedelta(days=1)) == LATEST
    assert shifted(EARLIEST, -timedelta(days=1)) == EARLIEST
    naive = datetime(1, 1, 1)
    assert shifted(naive, -timedelta(seconds=1)) == datetime.min
    assert shifted(datetime(2023, 1, 1, tzinfo=UTC), timedelta(days=1)).day == 2


@pytest.mark.parametrize("tz", ["UTC", "Asia/Tokyo", "America/New_York", "Pacific/Kiritimati"])
@pytest.mark.parametrize("day", [date.min, date.max, date(2023, 10, 18)])
def test_day_windows_at_the_edges_are_clamped(day: date, tz: str) -> None:
    window = day_window(day, tz)
    assert EARLIEST <= window.since <= window.until <= LATEST
    assert window.until - window.since <= timedelta(hours=25)


def test_explicit_and_since_last_windows_clamp() -> None:
    assert explicit_window(None, EARLIEST, 24).since == EARLIEST
    assert since_last_briefing(EARLIEST, None, 24).since == EARLIEST


@pytest.mark.parametrize("reference", [EARLIEST, LATEST, datetime(1, 1, 1, 5, tzinfo=UTC)])
@pytest.mark.parametrize(
    "question",
    ["what happened yesterday", "news this week", "last year", "in December", "on Jan 1", "today"],
)
def test_time_words_near_the_calendar_edges_never_raise(reference: datetime, question: str) -> None:
    query = parse_time_words(question, reference)
    if query.since is not None and query.until is not None:
        assert query.since <= query.until


@pytest.mark.parametrize(
    "args",
    [
        ["brief", "--date", "9999-12-31"],
        ["brief", "--date", "9999-12-31", "--tz", "America/New_York"],
        ["brief", "--date", "0001-01-01"],
        ["brief", "--date", "0001-01-01", "--tz", "Asia/Tokyo"],
        ["brief", "--until", "0001-01-01"],
        ["brief", "--since", "0001-01-01", "--until", "9999-12-31"],
        ["brief", "--since", "9999-12-31T23:59:59Z"],
        ["brief", "--since", "99999999d"],
        ["ask", "harbour", "--since", "0001-01-01", "--until", "9999-12-31"],
        ["ask", "harbour", "--until", "0001-01-01T00:00:00+05:00"],
        ["sources", "--since", "9999-12-31"],
        ["sources", "--until", "0001-01-01"],
        ["timeline", "harbour", "--until", "0001-01-01"],
        ["timeline", "harbour", "--since", "0001-01-01", "--until", "9999-12-31"],
        ["trend", "harbour", "--until", "0001-01-01"],
    ],
)
def test_cli_windows_at_the_edges_answer_or_say_one_line(
    args: list[str], tmp_path: Path, capsys: Cap
) -> None:
    code, out, err = main_in_process(capsys, *args, "--data-dir", str(tmp_path / "d"))
    assert "Traceback" not in err and "Error" not in err
    if code != 0:
        assert len([line for line in err.splitlines() if "error:" in line]) == 1, err
    assert " 1-01-01" not in out  # years are shown padded
    if args[0] in ("brief", "timeline") and "0001-01-01" in args and code == 0:
        assert "0001-01-01" in out


def test_brief_on_the_last_day_says_what_it_covered(tmp_path: Path, capsys: Cap) -> None:
    code, out, err = main_in_process(
        capsys, "brief", "--date", "9999-12-31", "--data-dir", str(tmp_path / "d")
    )
    assert code == 0, err
    assert "9999-12-31 00:00 UTC" in out


def test_a_trend_over_centuries_is_refused_in_one_line(tmp_path: Path, capsys: Cap) -> None:
    code, _, err = main_in_process(
        capsys,
        "trend",
        "harbour",
        "--since",
        "0001-01-01",
        "--until",
        "9999-12-31",
        "--data-dir",
        str(tmp_path / "d"),
    )
    assert code == 1
    assert err.strip().endswith("a trend covers at most 731 days; narrow --since/--until")
