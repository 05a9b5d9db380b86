"""Word tokenisation and stemming that mirror SQLite FTS5's `porter unicode61` tokenizer."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable
from functools import lru_cache

import snowballstemmer

WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)  # what FTS5's unicode61 calls a token
_STEMMER = snowballstemmer.stemmer("porter")

# Question scaffolding and function words: they carry no evidence of an answer.
STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves s t don
    tell please know anything something happen happened happening say said says many much
    news latest report reported reports article articles
    """.split()
)


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Lower-case and strip diacritics, as unicode61 remove_diacritics does."""
    lowered = word.lower()
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return str(_STEMMER.stemWord(fold(word)))


def fresh_stem(word: str) -> str:
    """`stem` without filling its cache or fold's (for callers that keep their own)."""
    lowered = word.lower()
    if not lowered.isascii():
        lowered = fold.__wrapped__(word)
    return str(_STEMMER.stemWord(lowered))


def index_stem(word: str) -> str:
    """The term FTS5's porter tokenizer indexes for a folded word: it leaves tokens shorter
    than three bytes as they are ("is" stays "is", where stem() gives "i")."""
    return word if len(word.encode()) < 3 else stem(word)


def index_terms(text: str) -> set[str]:
    """The distinct terms FTS5 would index for `text`."""
    return {index_stem(w) for w in words(text)}


def words(text: str) -> list[str]:
    """Folded word tokens in order (letters and digits; everything else separates)."""
    if plain_words(text):  # folding ASCII is lower-casing: the whole text at once, split in C
        return word_tokens(text.lower())
    return [fold(w) for w in WORD_RE.findall(text)]


def stems(text: str) -> list[str]:
    return [stem(w) for w in words(text)]


def stem_prefix_pattern(stems: Iterable[str]) -> re.Pattern[str]:
    """Matches every token that may stem to one of `stems` (a superset: check with stem()).

    Porter keeps a word's first two letters, except that a second-letter 'y' can become 'i'
    ("eyed" -> "ei"); a token with a non-ASCII letter among its first two is always matched,
    since folding may change it. Stemming only these tokens makes rescoring a passage cheap
    even when the stem cache is cold (a fresh `briefbot ask`).
    """
    heads = set()
    for s in stems:
        head = re.escape(s[0]) if s else ""
        if len(s) > 1:
            head += "[iy]" if s[1] in "iy" else re.escape(s[1])
        heads.add(head)
    other = r"[^\W_\x00-\x7f]"
    alternatives = "|".join([*sorted(heads), other, rf"[^\W_]{other}"])
    return re.compile(rf"(?<![^\W_])(?={alternatives})[^\W_]+", re.IGNORECASE)


def counts_of(stems: Collection[str], pattern: re.Pattern[str], text: str) -> Counter[str]:
    """How often each of `stems` occurs in `text`; `pattern` is their stem_prefix_pattern."""
    return Counter(s for s in map(stem, pattern.findall(text)) if s in stems)


def content_stems(text: str) -> list[str]:
    """Distinct stems of the non-stop-words of `text`, in first-seen order."""
    seen: dict[str, None] = {}
    for w in words(text):
        if w in STOPWORDS:
            continue
        seen.setdefault(stem(w), None)
    return list(seen)


# Non-ASCII characters common in English news that are neither word characters nor cased
# (typographic quotes, dashes and spaces, bullets, a few symbols); tests check each one.
SEPARATORS = (
    "\u00a0\u00a3\u00a9\u00ab\u00ae\u00b0\u00b7\u00bb"
    "\u2009\u200a\u200b\u2010\u2011\u2012\u2013\u2014\u2015"
    "\u2018\u2019\u201a\u201c\u201d\u201e\u2022\u2026\u202f\u2032\u2033"
    "\u2039\u203a\u20ac\u2122\u25ac\u25ba"
)
_NOT_PLAIN = re.compile(f"[^\\x00-\\x7f{SEPARATORS}]")


def plain_words(text: str) -> bool:
    """Whether every character of `text` is ASCII or one of `SEPARATORS`. Then its words are
    ASCII, its UTF-8 bytes tokenise as the Unicode patterns do when every non-ASCII byte is
    read as a separator, and lower-casing it lower-cases ASCII letters only: the byte fast
    paths of the tokenisers hold for it (a third of RSS texts are not ASCII, most of them
    only for their quotes and dashes)."""
    return text.isascii() or _NOT_PLAIN.search(text) is None


# ASCII bytes that are not letters or digits -> space: for ASCII text, splitting the result
# on whitespace gives exactly WORD_RE's tokens, about a third faster than the regex.
_ASCII_SEPARATORS = bytes(b if chr(b).isascii() and chr(b).isalnum() else 32 for b in range(256))


def word_tokens(text: str) -> list[str]:
    """WORD_RE's tokens of `text`, unfolded, in order."""
    if plain_words(text):
        return text.encode().translate(_ASCII_SEPARATORS).decode("ascii").split()
    return WORD_RE.findall(text)


def word_count(text: str) -> int:
    return len(word_tokens(text))
