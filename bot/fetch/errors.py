"""Typed fetch failures; each message says what went wrong with which URL, fit for a user."""

from __future__ import annotations

from bot.errors import BriefbotError


class FetchError(BriefbotError):
    """A URL could not be fetched safely. `url` is the address that failed (after redirects)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{reason} ({url})")
        self.url = url
        self.reason = reason


class UnsupportedScheme(FetchError):
    """Only http and https are fetched."""


class BlockedAddress(FetchError):
    """The host resolves to a loopback, private, link-local, multicast or reserved address."""


class ResolveFailed(FetchError):
    """The host name does not resolve."""


class ConnectFailed(FetchError):
    """No TCP/TLS connection could be made."""


class FetchTimeout(FetchError):
    """A connect/read timeout or the total deadline expired (slow-drip servers end here)."""


class TooManyRedirects(FetchError):
    """More redirects than allowed, or a redirect loop."""


class ResponseTooLarge(FetchError):
    """The body (after decompression) is larger than the limit."""


class BadEncoding(FetchError):
    """Corrupt compressed data or an unsupported Content-Encoding."""


class UnsupportedContentType(FetchError):
    """The server answered with a content type we do not read (e.g. HTML for a feed)."""


class HttpStatusError(FetchError):
    """The server answered with an error status."""

    def __init__(self, url: str, status: int) -> None:
        super().__init__(url, f"HTTP {status}")
        self.status = status
