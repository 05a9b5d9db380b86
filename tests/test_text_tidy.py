"""Plain text's last step (blanks squeezed, lines trimmed, empty lines dropped) equals its
line-by-line definition."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.text.plain import plain_text

PIECES = st.sampled_from(["word", "Ünï", " ", "  ", "\t", "\u00a0", "\n", "\n\n", " \n ", ".", ","])


def squeezed_lines(text: str) -> str:
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


@given(st.lists(PIECES, max_size=30).map("".join))
def test_blanks_and_lines_are_tidied_as_defined(text: str) -> None:
    assert plain_text(text) == squeezed_lines(text)
