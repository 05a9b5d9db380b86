"""Normalisation used for dedupe: canonical URLs and content hashes."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.text.words import plain_words

_TRACKING_PARAMS = re.compile(r"^(utm_.*|fbclid|gclid|mc_cid|mc_eid|ocid|cmpid|at_.*|ref|rss)$")
_WORD = re.compile(r"\w+")
# http(s)://host/path with nothing to drop or sort: most feed links (no query, no fragment)
_PLAIN_URL = re.compile(r"(?i:https?)://([A-Za-z0-9.-]+(?::[0-9]+)?)(/[!-~]*)?", re.ASCII)
# name=value pairs that parse_qsl and urlencode give back unchanged (no escapes, no '+')
_PLAIN_QUERY = re.compile(r"[\w.~-]+=[\w.~-]*(?:&[\w.~-]+=[\w.~-]*)*", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HOST = re.compile(r"[\w.:-]+")  # names (also IDN), IPv4, IPv6 without brackets


def http_url(url: str | None) -> str | None:
    """`url` when it is an absolute http(s) URL with a host (scheme lower-cased), else None.

    The only URLs we store and link: Telegram refuses a message linking anything else, and
    `javascript:`/`data:`/`file:` links are no business of a news bot.
    """
    if not url:
        return None
    url = url.strip().replace(" ", "%20")  # feeds do carry "…/Morocco-earthquake /?id=1"
    if _CONTROL.search(url):
        return None
    if _PLAIN_URL.fullmatch(url):  # what urlsplit would accept, without splitting
        scheme = url[: url.index(":")]
        return scheme.lower() + url[len(scheme) :]
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or not _HOST.fullmatch(host):
        return None
    return parts.scheme.lower() + url[len(parts.scheme) :]


def canonical_url(url: str | None) -> str | None:
    """Lower-case scheme and host, drop fragments, tracking params and trailing slashes."""
    if not url:
        return None
    url = url.strip()
    if "#" not in url:  # most feed links: no fragment, no query or a plain one
        base, _, query = url.partition("?")
        plain = _PLAIN_URL.fullmatch(base)
        if plain and (not query or _PLAIN_QUERY.fullmatch(query)):
            host = plain.group(1).lower().removeprefix("www.")
            path = (plain.group(2) or "").rstrip("/") or "/"
            pairs = sorted(tuple(p.split("=", 1)) for p in query.split("&")) if query else []
            kept = "&".join(f"{k}={v}" for k, v in pairs if not _TRACKING_PARAMS.match(k.lower()))
            return f"https://{host}{path}?{kept}" if kept else f"https://{host}{path}"
    return _canonical_split(url)


def _canonical_split(url: str) -> str:
    """`canonical_url` of any URL, through the standard library's parsing."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.scheme or not parts.netloc:
        return url
    host = parts.netloc.lower()
    if host.startswith("www."):
        host = host[4:]
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _TRACKING_PARAMS.match(k.lower())
    ]
    path = parts.path.rstrip("/") or "/"
    scheme = "https" if parts.scheme.lower() in ("http", "https") else parts.scheme.lower()
    return urlunsplit((scheme, host, path, urlencode(sorted(query)), ""))


# ASCII: upper-case letters -> lower case, other bytes `\w` does not match -> space (also
# every non-ASCII byte: for `plain_words` text those are separators).
_ASCII_WORD_BYTES = bytes(
    ord(chr(b).lower()) if chr(b).isascii() and (chr(b).isalnum() or chr(b) == "_") else 32
    for b in range(256)
)


def normalized_text(text: str) -> str:
    """Lower-case word runs joined by single spaces (punctuation and spacing ignored)."""
    return normalized_words(text)[0]


def normalized_words(text: str) -> tuple[str, list[str] | None]:
    """`normalized_text(text)`, and for `plain_words` text also its words (the same as
    splitting it on spaces), which callers that need both then do not split again."""
    if plain_words(text):  # `\w` is [A-Za-z0-9_] there: translate and split do it in C
        words = text.encode().translate(_ASCII_WORD_BYTES).decode("ascii").split()
        return " ".join(words), words
    return " ".join(_WORD.findall(text.lower())), None


def content_hash(title: str, text: str, body: str | None = None) -> str:
    """Hash of the normalised body; short bodies (teasers) include the title.

    Outlets retitle the same wire copy, so long bodies are hashed alone; a short teaser
    ("Read more…") says too little on its own and would merge unrelated items. `body`:
    `normalized_text(text)`, when the caller has it already.
    """
    if body is None:
        body = normalized_text(text)
    basis = body if len(body) >= 200 else normalized_text(title) + "\n" + body
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()
