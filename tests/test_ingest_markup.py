"""HTML in JSON feed exports is reduced to plain text at ingest (stored and indexed clean);
plain text, including a legitimate `<`, passes through untouched."""

from __future__ import annotations

import json
from pathlib import Path

from bot.engine import Engine
from bot.feeds.text import html_to_text
from bot.text.plain import has_markup, plain_text

FEED_ITEM = {
    "title": "Storm <i>Babet</i> hits &amp; floods Scotland",
    "description": (
        '<img src="https://cdn.example.com/storm.jpg" alt="flood"/><p>Rivers burst their banks'
        " in Angus &amp; Aberdeenshire overnight.</p><p>Article URL: <a"
        ' href="https://example.com/storm">https://example.com/storm</a></p>'
        "<script>track()</script><!-- ad -->"
    ),
    "url": "https://example.com/storm",
    "publisher": "Example News",
}
PLAIN_ITEM = {
    "title": "Inequality: when a < b and x<y and y>z",
    "description": "Prices rose 3% as a < b held; the ratio x<y and y>z stayed put (AT&T said).",
    "url": "https://example.com/math",
}


def test_markup_is_detected_cheaply_and_plain_text_is_left_alone() -> None:
    assert has_markup(FEED_ITEM["description"])
    assert has_markup("Tom &amp; Jerry")
    assert not has_markup(PLAIN_ITEM["title"])
    assert not has_markup(PLAIN_ITEM["description"])
    assert plain_text("a < b and c > d") == "a < b and c > d"
    assert plain_text('<p>One.</p><p>Two <a href="x">link</a> ,end</p>') == "One.\nTwo link,end"


def test_json_feed_html_is_stored_as_plain_text(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(json.dumps(item) for item in (FEED_ITEM, PLAIN_ITEM)) + "\n")
    report = engine.ingest([path])
    assert report.added == 2
    rows = dict(engine.store.db.query("SELECT url, title || '\n' || text FROM articles"))
    storm = rows["https://example.com/storm"]
    assert storm == (
        "Storm Babet hits & floods Scotland\n"
        "Rivers burst their banks in Angus & Aberdeenshire overnight.\n"
        "Article URL: https://example.com/storm"
    )
    assert rows["https://example.com/math"] == f"{PLAIN_ITEM['title']}\n{PLAIN_ITEM['description']}"
    assert not engine.search("img src jpg").passages
    assert not engine.search("track").passages
    found = engine.search("Angus Aberdeenshire rivers").passages
    assert found and found[0].text.startswith("Rivers burst")


def test_feed_fragments_use_the_same_cleaner_with_paragraphs() -> None:
    fragment = (
        "<div><p>Rivers burst\n their banks &amp; roads shut.</p><o:p>Office tag</o:p>"
        "<ul><li>Angus</li><li>Fife</li></ul><style>p {}</style></div>"
    )
    assert html_to_text(fragment) == (
        "Rivers burst their banks & roads shut.\n\nOffice tag\n\nAngus\n\nFife"
    )
    assert html_to_text("  plain   words\n here ") == "plain words here"


TRUNCATED = [
    ('Readers loved it. <p class="buylink__title text-bold', "Readers loved it."),
    ('Buy it <a href="https://shop.example.com/b <p>Next paragraph.</p>', "Next paragraph."),
    ("Ends on a cut tag </p", "Ends on a cut tag"),
    ('<img src="cover.jpg" alt="A cover', ""),
]


def test_tags_cut_off_by_truncation_are_cleaned() -> None:
    for fragment, kept in TRUNCATED:
        assert has_markup(fragment), fragment
        for cleaned in (plain_text(fragment), plain_text(fragment, html_input=True)):
            assert "<" not in cleaned and "buylink" not in cleaned and "href" not in cleaned
            assert kept in cleaned
    assert plain_text("if a <b then c") == "if a <b then c"  # no attribute: not a cut tag
    assert not has_markup("if a <b then c")


async def test_truncated_feed_description_never_reaches_an_answer(
    engine: Engine, tmp_path: Path
) -> None:
    item = {
        "title": "Harbour bookshop reopens",
        "description": "The harbour bookshop reopened on Monday after the flood. "
        'Its owner thanked the volunteers. <p class="buylink__title text-bold',
        "url": "https://example.com/bookshop",
    }
    path = tmp_path / "feed.json"
    path.write_text(json.dumps([item]), encoding="utf-8")
    engine.ingest([path])
    answer = await engine.ask("When did the harbour bookshop reopen?")
    [stored] = [a for a in engine.sources() if a.url == item["url"]]
    article = engine.articles.get(stored.id)
    assert article is not None and "buylink" not in article.text
    assert "reopened on Monday" in answer.answer
    assert "buylink" not in answer.answer and "<p" not in answer.answer
