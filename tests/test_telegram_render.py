"""Telegram HTML rendering: escaping, citation links, splitting, plain-text fallback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.models import Answer, AnswerSentence, SourceRef, Stats
from bot.telegram.commands import _date_span
from bot.telegram.render import html_to_plain, render_answer, render_draft, split_html
from tests.support.tg_html import EntityError, parse_html


def _answer(text: str, *sources: SourceRef) -> Answer:
    return Answer(
        question="q",
        answer=text,
        abstained=False,
        sentences=[AnswerSentence(text=text, citations=[s.n for s in sources])],
        sources=list(sources),
    )


def _ref(n: int, title: str, url: str | None, source: str | None = "Src") -> SourceRef:
    return SourceRef(
        n=n,
        article_id=n,
        title=title,
        url=url,
        source=source,
        published_at=datetime(2023, 10, 16, tzinfo=UTC),
        quote="",
    )


def test_markers_link_to_articles_and_untrusted_text_is_escaped() -> None:
    html = render_answer(
        _answer(
            'Tom & Jerry <script> said "hi" [1]. Plain source [2].',
            _ref(1, 'A <b>bold</b> & "quoted" title', "https://x.example/a?b=1&c=2"),
            _ref(2, "No URL", None, source="<Src>"),
        )
    )
    visible = parse_html(html)
    assert 'Tom & Jerry <script> said "hi" [1]' in visible
    assert '<a href="https://x.example/a?b=1&amp;c=2">[1]</a>' in html
    assert "[2]</a>" not in html
    assert '[1] A <b>bold</b> & "quoted" title · Src · 2023-10-16' in visible
    assert "[2] No URL · <Src> · 2023-10-16" in visible


def test_answer_line_is_bold_on_its_own_line_and_escaped() -> None:
    line = AnswerSentence(text="AT&T <Mobility>", citations=[1], answer_line=True)
    quote = AnswerSentence(text="The <b>deal</b> went to AT&T <Mobility>.", citations=[1])
    answer = Answer(
        question="Which company won the deal?",
        answer="AT&T <Mobility> [1]\nThe <b>deal</b> went to AT&T <Mobility>. [1]",
        abstained=False,
        sentences=[line, quote],
        sources=[_ref(1, "Deal", "https://x.example/deal")],
    )
    html = render_answer(answer)
    assert html.startswith(
        '<b>AT&amp;T &lt;Mobility&gt;</b> <a href="https://x.example/deal">[1]</a>\n'
    )
    assert "The &lt;b&gt;deal&lt;/b&gt; went to AT&amp;T &lt;Mobility&gt;." in html
    visible = parse_html(html)
    assert visible.startswith("AT&T <Mobility> [1]\nThe <b>deal</b> went")


def test_split_respects_limit_and_keeps_every_part_valid() -> None:
    sentence = 'Sentence {i} &amp; <a href="https://x.example/{i}">[{i}]</a>. '
    document = "<b>Title</b>\n\n" + "".join(sentence.format(i=i) for i in range(400))
    parts = split_html(document, 1000)
    assert len(parts) > 1
    for part in parts:
        assert len(part) <= 1000
        parse_html(part)
    joined = " ".join(parse_html(p) for p in parts)
    assert all(f"Sentence {i} & [{i}]." in joined for i in range(400))
    assert all(p.rstrip().endswith(".") for p in parts[:-1]), "cut at sentence ends"


def test_split_prefers_paragraphs_and_reopens_tags_cut_through() -> None:
    para = "word " * 150
    parts = split_html(f"{para}\n\n{para}", 1000)
    assert [p.strip() for p in parts] == [para.strip(), para.strip()]
    bold = split_html("<b>" + "x " * 800 + "</b>", 1000)
    assert len(bold) == 2
    assert bold[0].startswith("<b>") and bold[0].endswith("</b>")
    assert bold[1].startswith("<b>") and bold[1].endswith("</b>")
    for part in bold:
        parse_html(part)


def test_split_never_cuts_an_entity() -> None:
    parts = split_html("&amp;" * 500, 999)
    for part in parts:
        parse_html(part)
    assert "".join(parse_html(p) for p in parts) == "&" * 500


def test_plain_fallback_keeps_urls_and_unescapes() -> None:
    html = render_answer(_answer("A & B [1].", _ref(1, "T <1>", "https://x.example/a")))
    plain = html_to_plain(html)
    assert "A & B [1]." in plain
    assert "T <1> (https://x.example/a)" in plain
    assert "<a" not in plain and "&amp;" not in plain


def test_draft_is_escaped_and_fits_one_message() -> None:
    draft = render_draft("<i>" * 3000)
    assert len(draft) <= 4096
    parse_html(draft)


def test_validator_rejects_what_telegram_rejects() -> None:
    for bad in ("<b>x", "<script>x</script>", "a < b", "<b><i>x</b></i>", "AT&T", "&nbsp;"):
        with pytest.raises(EntityError):
            parse_html(bad)


def _day(day: int, hour: int = 0) -> datetime:
    return datetime(2023, 10, day, hour, tzinfo=UTC)


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (None, None, "without publication dates"),
        (_day(17, 1), _day(17, 23), "from 2023-10-17"),
        (_day(12), _day(17), "from 2023-10-12 to 2023-10-17"),
    ],
)
def test_start_and_stats_date_span(
    first: datetime | None, last: datetime | None, expected: str
) -> None:
    stats = Stats(
        articles=1, chunks=1, sources=1, first_published=first, last_published=last, db_bytes=0
    )
    assert _date_span(stats) == expected
