"""Bounded body decoding: the size limit applies to decompressed bytes (gzip bombs stop early)."""

from __future__ import annotations

import zlib

from bot.fetch.errors import BadEncoding, ResponseTooLarge

SUPPORTED_ENCODINGS = ("gzip", "x-gzip", "deflate", "identity")


class BoundedBody:
    """Collects a body chunk by chunk, inflating gzip/deflate with `max_length` so that no
    single compressed chunk can expand past the limit in memory."""

    def __init__(self, url: str, content_encoding: str, limit: int) -> None:
        self.url = url
        self.limit = limit
        self.parts: list[bytes] = []
        self.size = 0
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1 or any(c not in SUPPORTED_ENCODINGS for c in codings):
            raise BadEncoding(url, f"unsupported Content-Encoding {content_encoding!r}")
        self.coding = codings[0] if codings else None
        self._inflater: zlib._Decompress | None = None
        if self.coding in ("gzip", "x-gzip"):
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)

    def feed(self, data: bytes) -> None:
        if self.coding is None:
            self._append(data)
            return
        if self._inflater is None:
            # deflate: zlib-wrapped per the RFC, raw deflate by common mistake
            head = data[:2]
            wrapped = len(head) == 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        buffer = data
        try:
            while buffer and not self._inflater.eof:
                out = self._inflater.decompress(buffer, self.limit - self.size + 1)
                self._append(out)
                buffer = self._inflater.unconsumed_tail
        except zlib.error as exc:
            raise BadEncoding(self.url, f"corrupt {self.coding} body: {exc}") from exc

    def finish(self) -> bytes:
        if self._inflater is not None:
            try:
                self._append(self._inflater.flush())
            except zlib.error as exc:
                raise BadEncoding(self.url, f"corrupt {self.coding} body: {exc}") from exc
        return b"".join(self.parts)

    def _append(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            after = " after decompression" if self.coding else ""
            raise ResponseTooLarge(
                self.url, f"response body exceeds {self.limit:,} bytes{after}; stopped reading"
            )
        self.parts.append(data)
