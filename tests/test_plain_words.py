"""Text that is ASCII but for typographic separators takes the byte fast paths of the
tokenisers; each must give exactly what the Unicode patterns give."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.store.articles import passage_tokens
from bot.text.minhash import _words
from bot.text.normalize import normalized_text, normalized_words
from bot.text.words import SEPARATORS, WORD_RE, fold, plain_words, word_tokens, words

UNICODE_WORD = re.compile(r"\w+")

TEXTS = st.text(
    alphabet=st.sampled_from([*"Ab Zz09_.,'\n\t-", *SEPARATORS, "é", "İ", "Σ", "ß", "\u0301"]),
    max_size=80,
)


def test_separators_are_uncased_non_word_characters() -> None:
    for char in SEPARATORS:
        assert not UNICODE_WORD.match(char) and not char.isalnum(), repr(char)
        assert char.lower() == char == char.upper(), repr(char)
        assert plain_words(f"a{char}b")
    assert not plain_words("café") and not plain_words("\ud800")


@settings(max_examples=300, deadline=None)
@given(text=TEXTS)
def test_fast_paths_give_the_unicode_patterns_tokens(text: str) -> None:
    assert word_tokens(text) == WORD_RE.findall(text)
    assert words(text) == [fold(w) for w in WORD_RE.findall(text)]
    assert normalized_text(text) == " ".join(UNICODE_WORD.findall(text.lower()))
    body, split = normalized_words(text)
    assert body == normalized_text(text)
    assert split == (body.split(" ") if body else []) if plain_words(text) else split is None
    found = UNICODE_WORD.findall(text)  # minhash words: each lower-cased on its own
    expected = " ".join(found).lower().split(" ") if found else []
    whole = (expected, len(" ".join(expected)))  # the words and their normalised length
    assert _words(text, 50_000) == whole
    assert _words(text, 50_000, normalized_text(text)) == whole or not plain_words(text)
    assert _words(text, 3) == (expected[:3], len(" ".join(expected[:3])))


@settings(max_examples=300, deadline=None)
@given(text=TEXTS)
def test_passage_tokens_keep_the_tokens_and_their_case_only_where_it_matters(text: str) -> None:
    alone = WORD_RE.findall(text)
    tokens = passage_tokens(text, normalized_text(text))
    assert [t.lower() for t in tokens] == [t.lower() for t in alone]
    assert passage_tokens(text) == ([t.lower() for t in alone] if plain_words(text) else alone)
