"""SafeFetcher: GET with address checks on every hop, pinned connections, bounded everything.

DNS rebinding: the host is resolved once per hop, every address is checked, and the request
is sent to the checked IP literal (Host header and TLS SNI/certificate check keep the name),
so a second, different DNS answer can never be used for the connection. Keep-alive is off
because httpx pools connections by IP, which would let one name reuse another's TLS session.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from bot.config import Settings
from bot.fetch.decode import BoundedBody
from bot.fetch.errors import (
    ConnectFailed,
    FetchError,
    FetchTimeout,
    HttpStatusError,
    ResponseTooLarge,
    TooManyRedirects,
    UnsupportedContentType,
    UnsupportedScheme,
)
from bot.fetch.policy import AddressPolicy, IPAddress

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
        "application/x-rss+xml",
        "text/rss+xml",
        "text/plain",
        "application/octet-stream",
    }
)
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass
class FetchResult:
    url: str
    final_url: str
    status: int
    content: bytes = b""
    content_type: str = ""
    charset: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    redirects: list[str] = field(default_factory=list)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def text(self) -> str:
        try:
            return self.content.decode(self.charset or "utf-8", errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")


def _media_type(header: str) -> tuple[str, str | None]:
    media, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    return media.strip().lower(), charset


class SafeFetcher:
    """One per process (or per poll run); `async with` closes its connection pool."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.policy = AddressPolicy.from_setting(settings.fetch.allowlist)
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(
                settings.fetch.read_timeout,
                connect=settings.fetch.connect_timeout,
                pool=settings.fetch.connect_timeout,
            ),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=0),
            headers={
                "User-Agent": settings.fetch.user_agent,
                "Accept-Encoding": "gzip, deflate",
            },
        )

    async def __aenter__(self) -> SafeFetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        allowed_types: frozenset[str] = PAGE_TYPES,
        headers: Mapping[str, str] | None = None,
    ) -> FetchResult:
        """GET `url`, following redirects by hand; raises a `FetchError` subclass on any failure.

        A 304 answer (to conditional `headers`) is returned with an empty body.
        """
        try:
            async with asyncio.timeout(self.settings.fetch.total_timeout):
                return await self._fetch(url, allowed_types, dict(headers or {}))
        except TimeoutError as exc:
            raise FetchTimeout(
                url, f"gave up after {self.settings.fetch.total_timeout:g}s (total deadline)"
            ) from exc

    async def _fetch(
        self, url: str, allowed_types: frozenset[str], headers: dict[str, str]
    ) -> FetchResult:
        current = url
        visited: list[str] = []
        while True:
            target = self._parse(current)
            addresses = await self.policy.resolve(current, _host(target), _port(target))
            result = await self._get(current, target, addresses, allowed_types, headers)
            if result.status not in REDIRECT_STATUSES:
                result.url = url
                result.redirects = visited
                return result
            location = result.headers.get("location")
            if not location:
                raise HttpStatusError(current, result.status)
            visited.append(current)
            following = str(target.join(location))
            if following in visited:
                raise TooManyRedirects(url, f"redirect loop at {following}")
            if len(visited) > self.settings.fetch.max_redirects:
                raise TooManyRedirects(
                    url, f"more than {self.settings.fetch.max_redirects} redirects"
                )
            current = following

    def _parse(self, url: str) -> httpx.URL:
        try:
            target = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise UnsupportedScheme(url, f"not a valid URL: {exc}") from exc
        if target.scheme not in ("http", "https"):
            raise UnsupportedScheme(url, "only http and https URLs are fetched")
        if not target.host:
            raise UnsupportedScheme(url, "the URL has no host")
        return target

    async def _get(
        self,
        url: str,
        target: httpx.URL,
        addresses: list[IPAddress],
        allowed_types: frozenset[str],
        headers: dict[str, str],
    ) -> FetchResult:
        last_error: Exception | None = None
        for ip in addresses:
            pinned = target.copy_with(host=str(ip))
            request_headers = {"Host": target.netloc.decode("ascii"), **headers}
            extensions = {"sni_hostname": _host(target)} if target.scheme == "https" else {}
            try:
                async with self._client.stream(
                    "GET", pinned, headers=request_headers, extensions=extensions
                ) as response:
                    return await self._read(url, response, allowed_types)
            except httpx.ConnectError as exc:
                last_error = exc
                continue
            except httpx.TimeoutException as exc:
                raise FetchTimeout(url, f"timed out ({type(exc).__name__})") from exc
            except httpx.HTTPError as exc:
                raise ConnectFailed(url, f"HTTP error: {exc or type(exc).__name__}") from exc
        raise ConnectFailed(url, f"cannot connect: {last_error}")

    async def _read(
        self, url: str, response: httpx.Response, allowed_types: frozenset[str]
    ) -> FetchResult:
        status = response.status_code
        headers = {k.lower(): v for k, v in response.headers.items()}
        result = FetchResult(url=url, final_url=url, status=status, headers=headers)
        if status in REDIRECT_STATUSES or status == 304:
            return result
        if status >= 400 or status < 200:
            raise HttpStatusError(url, status)
        media, charset = _media_type(headers.get("content-type", ""))
        if media and media not in allowed_types:
            raise UnsupportedContentType(url, f"unexpected content type {media}")
        limit = self.settings.fetch.max_bytes
        declared = headers.get("content-length", "")
        encoding = headers.get("content-encoding", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(url, limit, int(declared))
        body = BoundedBody(url, encoding, limit)
        async for chunk in response.aiter_raw():
            body.feed(chunk)
        result.content = body.finish()
        result.content_type = media
        result.charset = charset
        return result


def _too_large(url: str, limit: int, declared: int) -> FetchError:
    return ResponseTooLarge(url, f"response body of {declared:,} bytes exceeds {limit:,} bytes")


def _host(url: httpx.URL) -> str:
    host = url.raw_host.decode("ascii")
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return host


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)
