"""Bad input is reported item by item, with one reason each, and never stops the rest."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from corpus_helpers import FIXTURES, prose, write_jsonl

from bot.engine import Engine
from bot.models import IngestReport


def _good(i: int) -> dict[str, object]:
    return {"title": f"Good article {i}", "text": prose(100 + i, 5)}


def _reasons(report: IngestReport) -> list[str]:
    return [r.reason for r in report.rejected]


def test_empty_text_is_rejected(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "title_only.md").write_text("# Just a title\n\nTags: x\n")
    (tmp_path / "blank.txt").write_text("  \n\n \t\n")
    write_jsonl(tmp_path / "e.jsonl", [{"title": "No body", "text": "   "}, _good(1)])
    report = engine.ingest(sorted(tmp_path.iterdir()))
    assert report.added == 1
    assert _reasons(report) == ["empty text"] * 4
    assert {Path(r.origin.split(":")[0]).name for r in report.rejected} == {
        "empty.txt",
        "title_only.md",
        "blank.txt",
        "e.jsonl",
    }


def test_not_utf8_file_is_rejected_and_others_kept(engine: Engine, tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", [_good(2)])
    report = engine.ingest([FIXTURES / "latin1.txt", good])
    assert report.added == 1
    (rejection,) = report.rejected
    assert rejection.origin.endswith("latin1.txt")
    assert "not UTF-8" in rejection.reason


def test_not_utf8_jsonl_line_rejects_only_that_line(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    latin1 = b'{"title": "Caf\xe9", "text": "x"}'
    lines = [json.dumps(_good(3)).encode(), latin1, json.dumps(_good(4)).encode()]
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = engine.ingest([path])
    assert report.added == 2
    assert _reasons(report) == ["line 2 is not UTF-8 decodable"]


def test_bad_json_line_n_and_rest_of_file_ingested(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    rows = [json.dumps(_good(i)) for i in range(5)]
    rows.insert(2, '{"title": "cut off", "text": ')
    rows.insert(4, "[1, 2, 3]")
    rows.insert(5, "")
    path.write_text("\n".join(rows) + "\n")
    report = engine.ingest([path])
    assert report.added == 5
    assert len(report.rejected) == 2
    assert report.rejected[0].reason.startswith("bad JSON line 3:")
    assert report.rejected[0].origin.endswith("items.jsonl:3")
    assert report.rejected[1].reason == "line 5 is not a JSON object"


@pytest.mark.parametrize("payload", ["42", '"just a string"', "null", "[1, 2]"])
def test_non_object_json_is_rejected(engine: Engine, tmp_path: Path, payload: str) -> None:
    (tmp_path / "odd.json").write_text(payload)
    report = engine.ingest([tmp_path / "odd.json"])
    assert report.added == 0
    assert report.rejected, "a non-object JSON document must be reported"
    assert all("not a JSON object" in r.reason for r in report.rejected)


def test_json_list_with_a_non_object_keeps_the_objects(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "list.json").write_text(json.dumps([_good(5), "oops", _good(6)]))
    report = engine.ingest([tmp_path / "list.json"])
    assert report.added == 2
    assert _reasons(report) == ["not a JSON object (str)"]
    assert report.rejected[0].origin.endswith("list.json#2")


def test_broken_pretty_printed_json_is_one_rejection(engine: Engine, tmp_path: Path) -> None:
    text = json.dumps(_good(7), indent=2)[:-2] + ",\n}\n"  # trailing comma
    (tmp_path / "broken.json").write_text(text)
    report = engine.ingest([tmp_path / "broken.json"])
    assert report.added == 0
    (rejection,) = report.rejected
    assert rejection.reason.startswith("bad JSON")


def test_missing_file_and_unsupported_type(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "doc.pdf").write_bytes(b"%PDF-1.4")
    good = write_jsonl(tmp_path / "good.jsonl", [_good(8)])
    report = engine.ingest([tmp_path / "nope.txt", tmp_path / "doc.pdf", good])
    assert report.added == 1
    assert _reasons(report) == ["no such file or directory", "unsupported file type .pdf"]


def _gz_items(n: int) -> bytes:
    return gzip.compress(b"".join((json.dumps(_good(i)) + "\n").encode() for i in range(n)))


def test_truncated_gzip_is_reported_and_complete_lines_kept(engine: Engine, tmp_path: Path) -> None:
    data = _gz_items(40)
    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    good = write_jsonl(tmp_path / "good.jsonl", [_good(99)])
    report = engine.ingest([tmp_path / "cut.jsonl.gz", good])
    assert report.added >= 1
    assert report.added < 41
    (rejection,) = report.rejected
    assert rejection.reason.startswith("cannot read file")
    assert "Good article 99" in {a.title for a in engine.articles.list_articles()}


def test_corrupt_gzip_stream_is_reported_not_raised(engine: Engine, tmp_path: Path) -> None:
    data = bytearray(_gz_items(40))
    for i in range(30, 80):
        data[i] ^= 0xFF
    (tmp_path / "bad.jsonl.gz").write_bytes(bytes(data))
    (tmp_path / "notgz.jsonl.gz").write_bytes(b"plain text, not gzip at all\n")
    good = write_jsonl(tmp_path / "good.jsonl", [_good(98)])
    report = engine.ingest([tmp_path / "bad.jsonl.gz", tmp_path / "notgz.jsonl.gz", good])
    assert report.added == 1
    assert len(report.rejected) == 2
    assert all(r.reason.startswith("cannot read file") for r in report.rejected)


def test_unparseable_date_is_stored_null_with_a_warning(engine: Engine, tmp_path: Path) -> None:
    item = {**_good(9), "published_at": "sometime last week"}
    report = engine.ingest([write_jsonl(tmp_path / "d.jsonl", [item])])
    assert report.added == 1
    assert report.rejected == []
    (warning,) = report.warnings
    assert "unparseable date" in warning.reason
    (article,) = engine.articles.list_articles()
    assert article.published_at is None


@pytest.mark.parametrize(
    "bad_date", [10**20, -(10**15), "0001-01-01T00:00:00+05:00", {"$date": 1}, True]
)
def test_out_of_range_dates_never_abort_the_batch(
    engine: Engine, tmp_path: Path, bad_date: object
) -> None:
    items = [_good(10), {**_good(11), "date": bad_date}, _good(12)]
    report = engine.ingest([write_jsonl(tmp_path / "d.jsonl", items)])
    assert report.added == 3
    assert len(report.warnings) == 1
    undated = [a for a in engine.articles.list_articles() if a.title == "Good article 11"]
    assert undated[0].published_at is None


def test_one_bad_record_in_a_big_batch_loses_nothing_else(engine: Engine, tmp_path: Path) -> None:
    items: list[object] = [_good(i) for i in range(30)]
    items[7] = {"title": "no text"}
    items[19] = {**_good(19), "date": 10**30}
    report = engine.ingest([write_jsonl(tmp_path / "batch.jsonl", items)])
    assert report.added == 29
    assert _reasons(report) == ["empty text"]
    assert engine.articles.count() == 29


def test_cli_summary_lists_one_reason_per_rejected_item(engine: Engine, tmp_path: Path) -> None:
    from corpus_helpers import run_cli

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.txt").write_text("")
    write_jsonl(tmp_path / "in" / "a.jsonl", [_good(1)])
    (tmp_path / "in" / "b.jsonl").write_text('{"bad"\n' + json.dumps(_good(2)) + "\n")
    result = run_cli("ingest", str(tmp_path / "in"), data_dir=tmp_path / "cli")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "added 2, 0 duplicates, 2 rejected, 0 warnings"
    rejected = [line for line in result.stdout.splitlines() if "rejected:" in line]
    assert len(rejected) == 2
    assert any("empty.txt: empty text" in line for line in rejected)
    assert any("b.jsonl:1: bad JSON line 1" in line for line in rejected)
    assert result.stderr == "", "no progress bar or noise when stderr is not a terminal"


def test_lone_surrogate_escapes_reject_only_that_record(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "surrogates.jsonl"
    bad = '{"title": "Broken \\ud800 title", "text": "Body text here."}'
    path.write_text("\n".join([json.dumps(_good(40)), bad, json.dumps(_good(41))]) + "\n")
    report = engine.ingest([path])
    assert report.added == 2
    (rejection,) = report.rejected
    assert rejection.origin.endswith("surrogates.jsonl:2")
    assert rejection.reason.startswith("invalid title")


def test_absurdly_nested_json_is_a_rejection(engine: Engine, tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    (tmp_path / "deep.jsonl").write_text(deep + "\n" + json.dumps(_good(50)) + "\n")
    (tmp_path / "deep.json").write_text(deep)
    report = engine.ingest([tmp_path / "deep.jsonl", tmp_path / "deep.json"])
    assert report.added == 1
    assert _reasons(report) == [
        "bad JSON line 1: nested too deeply",
        "bad JSON: nested too deeply",
    ]
