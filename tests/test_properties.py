"""Property-based tests: arbitrary text, control characters, huge and empty values never make
the record reader, the date parser, the question analyser, the Telegram HTML renderer or the
message splitter raise, and rendered HTML always passes the tag check Telegram applies.

Runs are bounded (examples, deadline, no example database) so the suite stays fast.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.briefing.models import Briefing, Story
from bot.briefing.render import render_html as render_briefing
from bot.briefing.render import render_text as render_briefing_text
from bot.config import Settings
from bot.engine import Engine
from bot.ingest.dates import DateParseError, parse_date
from bot.ingest.readers import ReadLimits, Record, read_path
from bot.ingest.records import to_article
from bot.models import Answer, AnswerSentence, Rejection, SourceRef
from bot.retrieval.query import analyze
from bot.retrieval.timewords import parse_time_words
from bot.store.timefmt import EARLIEST, LATEST, from_db, to_db
from bot.telegram.render import html_to_plain, render_answer, render_draft, split_html
from bot.text.markup import escape
from bot.text.plain import plain_text
from tests.support.tg_html import parse_html, utf16_length

BOUNDED = settings(
    max_examples=40,
    deadline=timedelta(seconds=2),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Text as hostile input comes: any code point (controls, surrogates excluded by str), emoji,
# markup-looking fragments, and the occasional very long run.
MARKUPISH = st.sampled_from(
    [
        "<",
        ">",
        "&",
        "&amp;",
        "&#0;",
        "&#x110000;",
        '<p class="buylink__title text-bold',
        "<b>",
        "</i>",
        "<a href='javascript:alert(1)'>",
        "<script>",
        "[1]",
        "[99]",
        "\x00",
        "\u202e",
        "\ufeff",
        "😀",
        "\r\n",
        "\n\n",
    ]
)
TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(MARKUPISH, st.text(max_size=20)), max_size=40).map("".join),
    st.builds(
        lambda c, n: c * n, st.sampled_from(["a", "😀", " ", "<", "\n"]), st.integers(0, 9000)
    ),
)
URLS = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "https://example.org/a?b=1&c=<2>",
            "javascript:alert(1)",
            "data:text/html,x",
            "HTTP://EXAMPLE.ORG",
            "https://exa mple.org",
            "http://",
            'https://e.org/"onmouseover="x',
        ]
    ),
    st.text(max_size=40),
)
JSON_VALUES = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), TEXT, st.just("")
    ),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
FIELD_NAMES = st.sampled_from(
    [
        "title",
        "text",
        "body",
        "description",
        "url",
        "link",
        "source",
        "published_at",
        "date",
        "id",
        "author",
        "language",
        "alternates",
        "ingested_at",
    ]
)
RECORDS = st.dictionaries(FIELD_NAMES | st.text(max_size=6), JSON_VALUES, max_size=8)
DATETIMES = st.datetimes(
    min_value=datetime.min, max_value=datetime.max, timezones=st.just(UTC)
) | st.sampled_from([EARLIEST, LATEST])


def _check_telegram(document: str) -> None:
    parse_html(document)
    for part in split_html(document):
        visible = parse_html(part)
        assert utf16_length(visible) <= 4096
        assert utf16_length(part) <= 4096


# --- the ingest record reader ------------------------------------------------------------


@BOUNDED
@given(fields=RECORDS, markup=st.booleans())
@example(fields={"text": [None, None]}, markup=False)  # whitespace once passed for text
def test_any_record_becomes_an_article_or_a_reason(fields: dict, markup: bool) -> None:
    article, notes = to_article("f.jsonl:1", fields, markup=markup, max_chars=20_000)
    assert all(isinstance(n, Rejection) and n.reason for n in notes)
    if article is None:
        assert len(notes) == 1
    else:
        assert article.text.strip() and article.title.strip()
        assert article.url is None or article.url.startswith(("http://", "https://"))


@BOUNDED
@given(
    data=st.binary(max_size=3000)
    | st.lists(RECORDS, max_size=5).map(lambda items: "\n".join(map(json.dumps, items)).encode()),
    suffix=st.sampled_from([".jsonl", ".json", ".txt", ".html", ".md", ".jsonl.gz"]),
)
def test_any_file_content_is_read_as_records_or_rejections(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
        items = list(read_path(path, ReadLimits(max_file_bytes=2000, max_record_bytes=1000)))
    assert all(isinstance(i, Record | Rejection) for i in items)
    assert items or not data.strip()


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory() as tmp:
        eng = Engine(Settings(data_dir=Path(tmp), ingest_batch=3))
        eng.ensure_corpus()
        yield eng
        eng.close()


@settings(BOUNDED, max_examples=25)
@given(records=st.lists(RECORDS, max_size=6))
def test_ingesting_any_records_never_raises_or_poisons_the_store(
    engine: Engine, records: list[dict]
) -> None:
    report = engine.ingestor.ingest_records(
        Record(origin=f"r{i}", fields=r, markup=True) for i, r in enumerate(records)
    )
    assert report.added + report.duplicates + len(report.rejected) + report.near_duplicates >= 0
    engine.stats()
    engine.sources(limit=5)


# --- dates -----------------------------------------------------------------------------


@BOUNDED
@given(value=st.one_of(TEXT, st.integers(), st.floats(), st.none(), DATETIMES, st.dates()))
def test_parse_date_returns_utc_or_says_why(value: object) -> None:
    try:
        parsed = parse_date(value)
    except DateParseError as exc:
        assert str(exc)
        return
    assert parsed is None or parsed.utcoffset() == timedelta(0)


@BOUNDED
@given(
    when=st.datetimes(min_value=datetime.min, max_value=datetime.max),
    offset=st.integers(-23 * 60, 23 * 60),
)
def test_any_time_is_stored_in_order_and_read_back(when: datetime, offset: int) -> None:
    aware = when.replace(tzinfo=timezone(timedelta(minutes=offset)))
    stored = to_db(aware)
    assert stored is not None and len(stored) == 25
    back = from_db(stored)
    assert back is not None and EARLIEST <= back <= LATEST


# --- the question analyser --------------------------------------------------------------


@BOUNDED
@given(question=TEXT, reference=DATETIMES)
def test_any_question_is_analysed_without_error(question: str, reference: datetime) -> None:
    terms = analyze(question)
    assert list(terms.surface) == terms.stems
    query = parse_time_words(question, reference)
    if query.since is not None and query.until is not None:
        assert query.since <= query.until


@settings(BOUNDED, max_examples=40)
@given(question=TEXT)
def test_any_question_searches_and_answers_without_error(engine: Engine, question: str) -> None:
    if question.strip():
        answer = engine.answer_extractive(question)
        _check_telegram(render_answer(answer))


# --- rendering and splitting -------------------------------------------------------------

SOURCES = st.lists(
    st.builds(
        SourceRef,
        n=st.integers(1, 12),
        article_id=st.integers(1, 10**6),
        title=TEXT,
        url=URLS,
        source=st.none() | TEXT,
        published_at=st.none() | DATETIMES,
        quote=TEXT,
        also_reported_by=st.lists(TEXT, max_size=4),
    ),
    max_size=6,
)


@BOUNDED
@given(text=TEXT, note=st.none() | TEXT, sources=SOURCES, abstained=st.booleans())
def test_any_answer_renders_to_html_telegram_accepts(
    text: str, note: str | None, sources: list[SourceRef], abstained: bool
) -> None:
    answer = Answer(question="q", answer=text, abstained=abstained, note=note, sources=sources)
    document = render_answer(answer)
    _check_telegram(document)
    html_to_plain(document)
    _check_telegram(render_draft(text))


@BOUNDED
@given(
    headlines=st.lists(TEXT, min_size=1, max_size=4),
    sentence=TEXT,
    sources=SOURCES,
    topics=st.lists(TEXT, max_size=3),
    when=DATETIMES,
)
def test_any_briefing_renders_to_messages_telegram_accepts(
    headlines: list[str], sentence: str, sources: list[SourceRef], topics: list[str], when: datetime
) -> None:
    stories = [
        Story(
            headline=h,
            sentences=[AnswerSentence(text=sentence, citations=[s.n for s in sources][:3])],
            sources=sources,
            articles=len(sources) + 1,
            outlets=[s.source or "x" for s in sources],
            first_seen=when,
            last_seen=when,
        )
        for h in headlines
    ]
    briefing = Briefing(
        since=when, until=when, generated_at=when, topics=topics, stories=stories, sources=sources
    )
    for part in render_briefing(briefing):
        visible = parse_html(part)
        assert utf16_length(visible) <= 4096 and utf16_length(part) <= 4096
    render_briefing_text(briefing)


TAGS = st.sampled_from(["b", "i", "u", "s", "code", "blockquote"])


@st.composite
def documents(draw: st.DrawFn) -> str:
    """Well-formed Telegram HTML of escaped arbitrary text, nested tags and links."""
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 12))):
        text = escape(draw(TEXT))
        kind = draw(st.integers(0, 2))
        if kind == 0:
            parts.append(text)
        elif kind == 1:
            tag = draw(TAGS)
            parts.append(f"<{tag}>{text}</{tag}>")
        else:
            parts.append(f'<a href="https://example.org/{draw(st.integers(0, 99))}">{text}</a>')
    return "".join(parts)


@BOUNDED
@given(document=documents(), limit=st.integers(200, 4096))
@example(document="😀" * 3000, limit=4096)  # two UTF-16 units each, as Telegram counts
def test_the_splitter_keeps_every_part_under_the_limit_and_well_formed(
    document: str, limit: int
) -> None:
    parse_html(document)
    parts = split_html(document, limit)
    for part in parts:
        parse_html(part)
        assert utf16_length(part) <= limit
    kept = "".join("".join(parse_html(p).split()) for p in parts)
    assert kept == "".join(parse_html(document).split())  # nothing lost but spacing


@BOUNDED
@given(text=TEXT)
def test_plain_text_cleaning_never_raises_and_leaves_no_tags(text: str) -> None:
    for cleaned in (plain_text(text), plain_text(text, html_input=True)):
        assert cleaned == cleaned.strip()
