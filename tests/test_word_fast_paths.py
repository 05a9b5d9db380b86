"""ASCII texts are tokenised by bytes.translate and split instead of the regexes: the tokens,
word counts, normalised text (content hash) and near-duplicate words must be exactly the
regexes' on any text, ASCII or not. Likewise plain feed links are canonicalised without the
standard library's URL parsing, to exactly what it gives, and text with nothing to tidy is
returned by `plain_text` as it is."""

from __future__ import annotations

import html
import re
import string

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.store.articles import passage_tokens
from bot.text import plain
from bot.text.minhash import basis_words
from bot.text.normalize import _canonical_split, canonical_url, normalized_text
from bot.text.plain import (
    _DANGLING,
    _UNCLOSED,
    _cleaned,
    _is_tidy,
    cleaned_markup,
    has_markup,
    plain_text,
)
from bot.text.words import WORD_RE, fresh_stem, plain_words, word_count, word_tokens

_WORD = re.compile(r"\w+")
TEXTS = st.one_of(
    st.text(alphabet=st.characters(max_codepoint=127), max_size=200),
    st.text(alphabet=string.ascii_letters + string.digits + " _-.,'\n\t\x0b\x1c", max_size=200),
    st.text(max_size=200),
)


@settings(max_examples=150, database=None, deadline=None)
@given(text=TEXTS)
def test_word_tokens_are_the_regex_tokens(text: str) -> None:
    assert word_tokens(text) == WORD_RE.findall(text)
    assert word_count(text) == len(WORD_RE.findall(text))


@settings(max_examples=150, database=None, deadline=None)
@given(text=TEXTS, title=TEXTS)
def test_normalised_text_and_basis_words_are_the_regex_ones(text: str, title: str) -> None:
    assert normalized_text(text) == " ".join(_WORD.findall(text.lower()))
    words = " ".join(_WORD.findall(text)).lower().split(" ") if _WORD.search(text) else []
    if sum(map(len, words)) + len(words) - 1 < 200:
        heading = _WORD.findall(title)
        words = (" ".join(heading).lower().split(" ") if heading else []) + words
    assert basis_words(title, text) == words


_QUERY_PART = st.text(alphabet=string.ascii_letters + string.digits + "_.~-%+ =/", max_size=8)
_KEYS = st.one_of(
    st.sampled_from(["id", "utm_source", "Ref", "rss", "a", "b", "page"]), _QUERY_PART
)
URLS = st.builds(
    "{}://{}{}{}{}{}".format,
    st.sampled_from(["https", "http", "HTTPS", "ftp"]),
    st.sampled_from(["example.com", "WWW.Example.COM", "www.news.org:8080", "x-y.co.uk"]),
    st.text(alphabet=string.ascii_letters + string.digits + "/-_.%+~;", max_size=20).map(
        lambda p: "/" + p
    )
    | st.just(""),
    st.sampled_from(["", "?", "/"]),
    st.lists(st.tuples(_KEYS, _QUERY_PART), max_size=4).map(
        lambda pairs: "&".join(f"{k}={v}" for k, v in pairs)
    ),
    st.sampled_from(["", "#top", " "]),
)


@settings(max_examples=300, database=None, deadline=None)
@given(url=URLS)
def test_canonical_url_fast_path_is_the_standard_library_one(url: str) -> None:
    assert canonical_url(url) == _canonical_split(url.strip())


@settings(max_examples=150, database=None, deadline=None)
@given(text=TEXTS)
@example("A£")  # not ASCII, yet plain: lower-cased too
def test_passage_tokens_from_the_normalised_text_have_the_same_stems(text: str) -> None:
    tokens = passage_tokens(text, normalized_text(text))
    assert [t.lower() for t in tokens] == [t.lower() for t in WORD_RE.findall(text)]
    assert list(map(fresh_stem, tokens)) == list(map(fresh_stem, WORD_RE.findall(text)))
    alone = WORD_RE.findall(text)  # without the normalised text: lower-cased when plain
    assert passage_tokens(text) == ([t.lower() for t in alone] if plain_words(text) else alone)
    assert list(map(fresh_stem, passage_tokens(text))) == list(map(fresh_stem, alone))


_HTMLISH = st.text(alphabet="<>/= \"'pa brdivspn-:x1&;", max_size=60)


@settings(max_examples=300, database=None, deadline=None)
@given(text=_HTMLISH)
def test_texts_without_an_unclosed_bracket_hold_no_dangling_tag(text: str) -> None:
    if _UNCLOSED.search(text) is None:
        assert _DANGLING.sub(" ", text) == text


_SPACEY = st.text(alphabet="ab.<>&;\n\r\t \u00a0\u2003\x0b", max_size=40)


@settings(max_examples=400, database=None, deadline=None)
@given(text=st.one_of(_SPACEY, TEXTS))
@example("a  b")
@example("a\n\nb")
@example("a \nb")
@example("a\n\u2003b")
@example(" a")
@example("a\r")
@example("a\tb")
@example("a\u00a0b")
@example("AT&amp;T")
@example("<p>a</p>")
@example("a < b &amp;  c\nd")
@example("\n")
@example("")
def test_tidy_text_is_what_plain_text_would_make_of_it(text: str) -> None:
    if _is_tidy(text):
        assert _cleaned(text, html_input=False) == text
    assert plain_text(text) == _cleaned(text, html_input=False)
    assert cleaned_markup(text) == (plain_text(text) if has_markup(text) else text)


def _patterns_cleaned(text: str, html_input: bool) -> str:
    """`plain.plain_text`'s cleaning written with patterns only (the reference)."""
    if html_input or ("<" in text and has_markup(text)):
        text = " ".join(plain._DROPPED.sub(" ", text).split())
        text = plain._DANGLING.sub(" ", text)
        text = plain._TAG.sub(" ", plain._BLOCK.sub("\n", text))
        if html_input:
            text = plain._ANY_TAG.sub(" ", text)
        text = re.sub(r"[ \t]+(?=[,.;:!?])", "", text)
    text = html.unescape(text)
    lines = (plain._BLANKS.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


_SPACED_HTML = st.text(alphabet="<>/ \t\u00a0\n,.!?:;pa brdiv&#32;nbsp", max_size=60)


@settings(max_examples=400, database=None, deadline=None)
@given(text=_SPACED_HTML, html_input=st.booleans())
@example("a <b>x</b> , y", False)
@example("<p> a  &#32;, b &nbsp;. </p>\n c", False)
def test_cleaning_squeezes_spaces_as_the_patterns_do(text: str, html_input: bool) -> None:
    assert plain_text(text, html_input=html_input) == _patterns_cleaned(text, html_input)
