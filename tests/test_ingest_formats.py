"""Every input format ingests into whole articles with the right fields."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from corpus_helpers import FIXTURES, prose, write_jsonl

from bot.engine import Engine
from bot.models import Article


def _all(engine: Engine) -> dict[str, Article]:
    ids = [s.id for s in engine.articles.list_articles()]
    return {a.title: a for a in engine.articles.get_many(ids)}


def test_markdown_first_line_is_title_and_tags_line_is_metadata(engine: Engine) -> None:
    report = engine.ingest([FIXTURES / "glacier.md"])
    assert (report.added, report.rejected) == (1, [])
    (article,) = _all(engine).values()
    assert article.title == "Glacier retreat speeds up in the Alps"
    assert article.text.startswith("Scientists measuring the Morteratsch glacier")
    assert "Tags" not in article.text and "glaciers" not in article.text
    assert article.text.endswith("in July and August.")


def test_txt_title_skips_leading_blank_lines_and_empty_tags_line(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "note.txt"
    path.write_text("\n\n  Town hall clock repaired  \n\nThe clock chimes again.\n\nTags:\n\n")
    engine.ingest([path])
    (article,) = _all(engine).values()
    assert article.title == "Town hall clock repaired"
    assert article.text == "The clock chimes again."


def test_seed_file_ingests_without_its_tags_line(engine: Engine) -> None:
    seed = next((Path(__file__).parent.parent / "seeds").glob("*.txt"))
    engine.ingest([seed])
    (article,) = _all(engine).values()
    assert article.title.startswith("US troops attacked in Iraq and Syria")
    assert not article.text.rstrip().endswith("Tags:")
    assert article.text.startswith("Baghdad:")


def test_html_main_text_and_title(engine: Engine) -> None:
    report = engine.ingest([FIXTURES / "harbour.html"])
    assert report.added == 1
    (article,) = _all(engine).values()
    assert article.title == "Harbour ferry terminal to open in spring"
    assert "two years later than first planned" in article.text
    assert "1.2 million passengers" in article.text
    for boilerplate in ("Subscribe now", "Cookie policy", "scriptmarker"):
        assert boilerplate not in article.text
    assert not article.text.startswith(article.title), "the <h1> is the title, not body text"


def test_html_title_falls_back_to_h1(engine: Engine) -> None:
    engine.ingest([FIXTURES / "h1_only.html"])
    (article,) = _all(engine).values()
    assert article.title == "Lighthouse keeper retires after forty years"
    assert "automated and monitored remotely" in article.text


def test_jsonl_aliases_and_bad_line(engine: Engine) -> None:
    report = engine.ingest([FIXTURES / "articles.jsonl"])
    assert report.added == 3
    assert len(report.rejected) == 1
    assert report.rejected[0].reason.startswith("bad JSON line 3")
    assert report.rejected[0].origin.endswith("articles.jsonl:3")
    by_title = _all(engine)
    tram = by_title["Tram line extension approved"]
    assert tram.text.startswith("The city council approved")  # body
    assert tram.source == "Metro Times"  # publisher
    assert tram.published_at == datetime(2023, 10, 17, 9, 30, tzinfo=UTC)  # date
    assert tram.external_id == "j1"
    assert tram.url == "https://example.com/tram"
    bakery = by_title["Bakery wins national bread prize"]
    assert bakery.text.startswith("A family bakery")  # content
    assert bakery.published_at == datetime(2023, 10, 19, tzinfo=UTC)  # publish_date
    museum = by_title["Museum reopens after renovation"]
    assert museum.text.startswith("The maritime museum")  # description
    assert museum.published_at == datetime(2023, 10, 19, 16, 0, tzinfo=UTC)


def _item(i: int) -> dict[str, object]:
    return {"title": f"Item {i} headline", "text": prose(i, 6), "source": "Wire"}


def test_json_object_list_and_articles_wrapper(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "one.json").write_text(json.dumps(_item(1)))
    (tmp_path / "list.json").write_text(json.dumps([_item(2), _item(3)]))
    (tmp_path / "wrapped.json").write_text(json.dumps({"articles": [_item(4), _item(5)]}))
    report = engine.ingest([tmp_path / n for n in ("one.json", "list.json", "wrapped.json")])
    assert (report.added, report.rejected) == (5, [])
    assert sorted(_all(engine)) == [f"Item {i} headline" for i in range(1, 6)]


def test_pretty_printed_json_list(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "pretty.json").write_text(json.dumps([_item(6), _item(7)], indent=2))
    report = engine.ingest([tmp_path / "pretty.json"])
    assert (report.added, report.rejected) == (2, [])


def test_jsonl_and_jsonl_gz(engine: Engine, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "plain.jsonl", [_item(i) for i in range(10, 13)])
    with gzip.open(tmp_path / "packed.jsonl.gz", "wt", encoding="utf-8") as fh:
        for i in range(13, 17):
            fh.write(json.dumps(_item(i)) + "\n")
    (tmp_path / "list.json.gz").write_bytes(gzip.compress(json.dumps([_item(17)]).encode()))
    names = ("plain.jsonl", "packed.jsonl.gz", "list.json.gz")
    report = engine.ingest([tmp_path / n for n in names])
    assert (report.added, report.rejected) == (8, [])
    stored = _all(engine)
    assert stored["Item 14 headline"].text == prose(14, 6)


def test_folder_is_walked_recursively_skipping_hidden_and_unknown_files(
    engine: Engine, tmp_path: Path
) -> None:
    root = tmp_path / "corpus"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".hidden").mkdir()
    shutil.copy(FIXTURES / "glacier.md", root / "glacier.md")
    shutil.copy(FIXTURES / "harbour.html", root / "sub" / "harbour.html")
    write_jsonl(root / "sub" / "deeper" / "items.jsonl", [_item(20), _item(21)])
    (root / ".hidden" / "secret.txt").write_text("Secret\n\nShould not be ingested.")
    (root / "image.png").write_bytes(b"\x89PNG\r\n")
    report = engine.ingest([root])
    assert (report.added, report.rejected) == (4, [])
    assert "Secret" not in _all(engine)


def test_source_date_and_id_are_optional(engine: Engine, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "bare.jsonl", [{"text": "Only a body. It has two sentences."}])
    report = engine.ingest([tmp_path / "bare.jsonl"])
    assert report.added == 1
    (article,) = _all(engine).values()
    assert article.title == "Only a body."
    assert (article.source, article.published_at, article.url, article.external_id) == (
        None,
        None,
        None,
        None,
    )
    assert article.ingested_at.tzinfo is not None
