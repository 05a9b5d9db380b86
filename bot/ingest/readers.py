"""Readers for the file formats we ingest. Each yields records or per-item rejections.

A reader never raises for bad content: a broken line, an undecodable file, an empty body or
one over a size cap becomes a `Rejection` with its reason, and reading goes on. Memory is
bounded by `ReadLimits`: JSON Lines are streamed with a bounded line reader, and a file read
whole is read only up to its cap (after decompression, so a small .gz cannot expand without
limit).
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from bot.models import Rejection

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson", ".jsonl.gz", ".json.gz", ".ndjson.gz")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSON_SUFFIXES

_TAGS_LINE = re.compile(r"^\s*tags\s*:", re.IGNORECASE)
_SKIP_CHUNK = 1 << 16  # bytes read at a time while skipping the rest of an overlong line


@dataclass(frozen=True)
class ReadLimits:
    """Decompressed-size caps (settings `ingest.max_file_bytes` / `max_record_bytes`)."""

    max_file_bytes: int
    max_record_bytes: int

    def file_too_large(self) -> str:
        return (
            f"larger than {self.max_file_bytes:,} bytes after decompression "
            "(BRIEFBOT_INGEST_MAX_FILE_BYTES)"
        )

    def record_too_large(self, what: str = "record") -> str:
        return (
            f"{what} is larger than {self.max_record_bytes:,} bytes "
            "(BRIEFBOT_INGEST_MAX_RECORD_BYTES)"
        )


@dataclass
class Record:
    """Raw fields of one article, before validation."""

    origin: str
    fields: dict[str, Any] = field(default_factory=dict)
    # JSON exports of feeds carry HTML in their text fields: clean it when present.
    markup: bool = False


def suffix_of(path: Path) -> str:
    name = path.name.lower()
    for suffix in sorted(SUPPORTED_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def is_supported(path: Path) -> bool:
    return suffix_of(path) in SUPPORTED_SUFFIXES


def expand_paths(paths: Iterable[Path]) -> Iterator[Path | Rejection]:
    """Files as given, folders walked recursively (hidden entries and unknown types skipped)."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                if child.is_file() and is_supported(child):
                    yield child
        elif path.is_file():
            yield path
        else:
            yield Rejection(origin=str(path), reason="no such file or directory")


def read_paths(paths: Iterable[Path], limits: ReadLimits) -> Iterator[Record | Rejection]:
    """The records of every file of `paths` (see `expand_paths`), in order."""
    for item in expand_paths(paths):
        if isinstance(item, Rejection):
            yield item
        else:
            yield from read_path(item, limits)


def read_path(path: Path, limits: ReadLimits) -> Iterator[Record | Rejection]:
    suffix = suffix_of(path)
    origin = str(path)
    try:
        if suffix in TEXT_SUFFIXES:
            yield from _read_text(path, origin, limits)
        elif suffix in HTML_SUFFIXES:
            yield from _read_html(path, origin, limits)
        elif suffix in (".json", ".json.gz"):
            yield from _read_json(path, origin, limits)
        elif suffix in JSON_SUFFIXES:
            yield from _read_jsonl(path, origin, limits)
        else:
            yield Rejection(origin=origin, reason=f"unsupported file type {suffix or '(none)'}")
    except (OSError, EOFError, zlib.error) as exc:
        yield Rejection(origin=origin, reason=f"cannot read file: {exc}")


def _decode(data: bytes, origin: str) -> str | Rejection:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Rejection(origin=origin, reason=f"not UTF-8 decodable (byte {exc.start})")


def _open_binary(path: Path) -> io.BufferedIOBase:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")
    return path.open("rb")


def _read_capped(path: Path, origin: str, cap: int, too_large: str) -> bytes | Rejection:
    """The whole (decompressed) file, or a rejection once it passes `cap` bytes."""
    with _open_binary(path) as handle:
        data = handle.read(cap + 1)
    if len(data) > cap:
        return Rejection(origin=origin, reason=too_large)
    return data


def _read_record_file(path: Path, origin: str, limits: ReadLimits) -> str | Rejection:
    """A one-article file (.txt, .md, .html): read whole, so capped at one record."""
    data = _read_capped(path, origin, limits.max_record_bytes, limits.record_too_large("the file"))
    return data if isinstance(data, Rejection) else _decode(data, origin)


def parse_text_article(text: str) -> dict[str, Any]:
    """Title = first non-empty line; trailing `Tags:` lines are metadata, not body.

    A leading YAML front-matter block (`---` … `---`) is metadata too; its `title:` is used
    when present.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    front_title = ""
    if lines and lines[0].strip() == "---" and "---" in (line.strip() for line in lines[1:]):
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
        for line in lines[1:end]:
            key, _, value = line.partition(":")
            if key.strip().lower() == "title" and value.strip():
                front_title = value.strip().strip("\"'")
        lines = lines[end + 1 :]
        if front_title:
            lines.insert(0, front_title)
    while lines and not lines[-1].strip():
        lines.pop()
    tags: list[str] = []
    while lines and _TAGS_LINE.match(lines[-1]):
        value = lines.pop().split(":", 1)[1]
        tags.extend(t.strip() for t in value.split(",") if t.strip())
        while lines and not lines[-1].strip():
            lines.pop()
    title = ""
    while lines:
        first = lines.pop(0).strip()
        if first:
            title = first.lstrip("#").strip()
            break
    return {"title": title, "text": "\n".join(lines).strip(), "tags": tags}


def _read_text(path: Path, origin: str, limits: ReadLimits) -> Iterator[Record | Rejection]:
    decoded = _read_record_file(path, origin, limits)
    if isinstance(decoded, Rejection):
        yield decoded
        return
    yield Record(origin=origin, fields=parse_text_article(decoded))


class _TitleParser(HTMLParser):
    """Finds <title>, the first <h1>, and visible text as a fallback body."""

    _SKIP = frozenset({"script", "style", "noscript", "template", "nav", "footer", "header"})
    _BLOCK = frozenset(
        {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "section", "article", "tr", "blockquote"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.h1 = ""
        self._stack: list[str] = []
        self._skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._stack.append(tag)
        if tag in self._SKIP:
            self._skip += 1
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skip:
            self._skip -= 1
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        current = self._stack[-1] if self._stack else ""
        if current == "title":
            self.title += data
        elif current == "h1" and not self.h1:
            self.h1 = data.strip()
        if not self._skip and current not in ("title",):
            self.parts.append(data)


def extract_html(html: str) -> dict[str, Any]:
    """Main text via trafilatura when it finds one, else the page's visible text."""
    probe = _TitleParser()
    probe.feed(html)
    title = " ".join(probe.title.split()) or probe.h1
    fields: dict[str, Any] = {"title": title}
    try:
        import trafilatura

        doc = trafilatura.bare_extraction(html, with_metadata=True, favor_precision=True)
    except Exception:
        doc = None
    if doc is not None:
        data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
        fields["title"] = title or data.get("title") or ""
        fields["text"] = _drop_heading(data.get("text") or "", {fields["title"], probe.h1})
        fields["published_at"] = data.get("date")
        fields["source"] = data.get("sitename") or data.get("hostname")
        fields["url"] = data.get("url")
    if not fields.get("text"):
        raw = "".join(probe.parts)
        paragraphs = [" ".join(p.split()) for p in raw.split("\n")]
        body = "\n\n".join(p for p in paragraphs if p and p != title)
        fields["text"] = body
    return fields


def _drop_heading(text: str, headings: set[str]) -> str:
    """trafilatura keeps the <h1> as the body's first line; it is the title, not body text."""
    first, _, rest = text.lstrip().partition("\n")
    if " ".join(first.split()) in {" ".join(h.split()) for h in headings if h}:
        return rest.strip()
    return text


def _read_html(path: Path, origin: str, limits: ReadLimits) -> Iterator[Record | Rejection]:
    decoded = _read_record_file(path, origin, limits)
    if isinstance(decoded, Rejection):
        yield decoded
        return
    yield Record(origin=origin, fields=extract_html(decoded))


def _read_json(path: Path, origin: str, limits: ReadLimits) -> Iterator[Record | Rejection]:
    data = _read_capped(path, origin, limits.max_file_bytes, limits.file_too_large())
    decoded = data if isinstance(data, Rejection) else _decode(data, origin)
    del data
    if isinstance(decoded, Rejection):
        yield decoded
        return
    try:
        data = json.loads(decoded)
    except json.JSONDecodeError as exc:
        # Many ".json" exports are really JSON Lines; try that before giving up.
        if decoded.count("\n") > 1 and _starts_with_json_object_line(decoded):
            yield from _jsonl_lines(decoded.splitlines(), origin)
            return
        yield Rejection(origin=origin, reason=f"bad JSON: {exc.msg} at line {exc.lineno}")
        return
    except RecursionError:
        yield Rejection(origin=origin, reason="bad JSON: nested too deeply")
        return
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    items = data if isinstance(data, list) else [data]
    for i, item in enumerate(items, start=1):
        where = f"{origin}#{i}" if len(items) > 1 else origin
        if isinstance(item, dict):
            yield Record(origin=where, fields=item, markup=True)
        else:
            yield Rejection(origin=where, reason=f"not a JSON object ({type(item).__name__})")


def _starts_with_json_object_line(text: str) -> bool:
    """True when the first non-blank line is a JSON object on its own, as in JSON Lines."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        return isinstance(json.loads(first), dict)
    except (json.JSONDecodeError, RecursionError):
        return False


def _read_jsonl(path: Path, origin: str, limits: ReadLimits) -> Iterator[Record | Rejection]:
    with _open_binary(path) as handle:
        yield from _jsonl_lines(_capped_lines(handle, origin, limits), origin)


def _capped_lines(
    handle: io.BufferedIOBase, origin: str, limits: ReadLimits
) -> Iterator[bytes | Rejection]:
    """One item per line: its bytes, or a rejection for a line over the record cap (skipped
    without ever being held whole). Stops with a rejection once the file cap is passed."""
    cap = limits.max_record_bytes
    total = 0
    number = 0
    while True:
        line = handle.readline(cap + 1)
        if not line:
            return
        number += 1
        total += len(line)
        item: bytes | Rejection = line
        if len(line) > cap and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n") and total <= limits.max_file_bytes:
                line = handle.readline(_SKIP_CHUNK)
                total += len(line)
            item = Rejection(
                origin=f"{origin}:{number}", reason=limits.record_too_large(f"line {number}")
            )
        if total > limits.max_file_bytes:
            reason = f"stopped at line {number}: the file is {limits.file_too_large()}"
            yield Rejection(origin=origin, reason=reason)
            return
        yield item


def _jsonl_lines(
    lines: Iterable[bytes | str | Rejection], origin: str
) -> Iterator[Record | Rejection]:
    for number, raw in enumerate(lines, start=1):
        where = f"{origin}:{number}"
        if isinstance(raw, Rejection):
            yield raw
            continue
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                yield Rejection(origin=where, reason=f"line {number} is not UTF-8 decodable")
                continue
        else:
            line = raw
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Rejection(origin=where, reason=f"bad JSON line {number}: {exc.msg}")
            continue
        except RecursionError:
            yield Rejection(origin=where, reason=f"bad JSON line {number}: nested too deeply")
            continue
        if not isinstance(item, dict):
            yield Rejection(origin=where, reason=f"line {number} is not a JSON object")
            continue
        yield Record(origin=where, fields=item, markup=True)
