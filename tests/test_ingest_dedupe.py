"""The same article is never stored twice: canonical URL or normalised text."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import pytest
from corpus_helpers import FIXTURES, main_in_process, prose, write_jsonl

from bot.engine import Engine
from bot.ingest.pipeline import fewer_collections
from bot.models import ArticleIn
from bot.text.normalize import canonical_url

BASE = "https://www.example.com/news/ferry-terminal/"


@pytest.mark.parametrize(
    "variant",
    [
        "https://example.com/news/ferry-terminal",
        "http://www.example.com/news/ferry-terminal",
        "https://WWW.Example.COM/news/ferry-terminal/",
        "https://example.com/news/ferry-terminal/?utm_source=rss&utm_medium=feed",
        "https://example.com/news/ferry-terminal?fbclid=abc123&gclid=x",
        "https://example.com/news/ferry-terminal#comments",
    ],
)
def test_canonical_url_variants(variant: str) -> None:
    assert canonical_url(variant) == canonical_url(BASE)


def test_canonical_url_keeps_meaningful_query_and_path() -> None:
    assert canonical_url("https://example.com/story?id=1") != canonical_url(
        "https://example.com/story?id=2"
    )
    assert canonical_url("https://example.com/a?b=2&a=1") == canonical_url(
        "https://example.com/a?a=1&b=2"
    )
    assert canonical_url("https://example.com/a") != canonical_url("https://example.com/b")
    assert canonical_url(None) is None


def test_same_canonical_url_with_different_text_is_a_duplicate(
    engine: Engine, tmp_path: Path
) -> None:
    items = [
        {"title": "Ferry terminal delayed", "text": prose(1, 6), "url": BASE},
        {
            "title": "Ferry terminal delayed (updated)",
            "text": prose(2, 6),
            "url": "http://example.com/news/ferry-terminal?utm_campaign=x",
        },
    ]
    report = engine.ingest([write_jsonl(tmp_path / "u.jsonl", items)])
    assert (report.added, report.duplicates) == (1, 1)
    assert engine.articles.count() == 1


def test_same_normalised_text_is_a_duplicate(engine: Engine, tmp_path: Path) -> None:
    body = prose(3, 8)
    reformatted = "  " + body.upper().replace(". ", ".\n\n").replace(",", "") + "  "
    items = [
        {"title": "Original headline", "text": body, "url": "https://a.example/x"},
        {"title": "Retitled by another outlet", "text": reformatted, "url": "https://b.example/y"},
    ]
    report = engine.ingest([write_jsonl(tmp_path / "t.jsonl", items)])
    assert (report.added, report.duplicates) == (1, 1)


def test_short_teasers_with_different_titles_are_not_merged(engine: Engine, tmp_path: Path) -> None:
    items = [
        {"title": "Storm closes the harbour", "text": "Read more on our website."},
        {"title": "Council approves the budget", "text": "Read more on our website."},
    ]
    report = engine.ingest([write_jsonl(tmp_path / "teasers.jsonl", items)])
    assert (report.added, report.duplicates) == (2, 0)


def test_duplicates_within_one_batch_and_across_runs(engine: Engine, tmp_path: Path) -> None:
    item = {"title": "Museum reopens", "text": prose(4, 5)}
    path = write_jsonl(tmp_path / "dup.jsonl", [item, item, item])
    first = engine.ingest([path])
    assert (first.added, first.duplicates) == (1, 2)
    second = engine.ingest([path])
    assert (second.added, second.duplicates) == (0, 3)
    assert engine.stats().articles == 1


def test_reingesting_a_folder_is_a_noop_reporting_n_duplicates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(FIXTURES / "glacier.md", folder)
    shutil.copy(FIXTURES / "harbour.html", folder)
    write_jsonl(folder / "items.jsonl", [{"title": f"N{i}", "text": prose(i, 4)} for i in range(5)])
    data = str(tmp_path / "data")

    code, out, err = main_in_process(capsys, "ingest", str(folder), "--data-dir", data)
    assert code == 0, err
    assert out.startswith("added 7, 0 duplicates, 0 rejected")
    before = main_in_process(capsys, "stats", "--json", "--data-dir", data)[1]

    code, out, err = main_in_process(capsys, "ingest", str(folder), "--data-dir", data)
    assert code == 0, err
    assert out.startswith("added 0, 7 duplicates, 0 rejected")
    after = main_in_process(capsys, "stats", "--json", "--data-dir", data)[1]
    strip = [line for line in before.splitlines() if "db_bytes" not in line]
    assert strip == [line for line in after.splitlines() if "db_bytes" not in line]


def test_ingest_collects_cycles_less_often_and_restores_the_collector(engine: Engine) -> None:
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold()[0] >= 50_000 and gc.get_freeze_count() > 0
        assert gc.isenabled()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    report = engine.ingestor.ingest_articles(
        [ArticleIn(title="Harbour cranes", text=prose(1, 20), url="https://example.com/c")]
    )
    assert report.added == 1
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_overlapping_ingests_restore_the_collector_once_the_last_one_ends() -> None:
    before = gc.get_threshold()
    first, second = fewer_collections(), fewer_collections()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold()[0] >= 50_000  # the other ingest still runs
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
