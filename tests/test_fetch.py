"""SafeFetcher against a loopback server: address policy, redirects, limits, timeouts."""

from __future__ import annotations

import gzip
import ipaddress
import time
from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.fetch import SafeFetcher
from bot.fetch.client import FEED_TYPES
from bot.fetch.errors import (
    BlockedAddress,
    FetchTimeout,
    HttpStatusError,
    ResponseTooLarge,
    TooManyRedirects,
    UnsupportedContentType,
    UnsupportedScheme,
)
from bot.fetch.policy import AddressPolicy, blocked_reason
from tests.support.webserver import LoopbackServer, Reply, repeated


@pytest.fixture
def web() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        yield server


def fetcher(settings: Settings, **overrides: object) -> SafeFetcher:
    values = {"fetch_allowlist": "127.0.0.1", **overrides}
    return SafeFetcher(settings.updated(**values))


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::",
    ],
)
def test_non_public_addresses_are_blocked(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_pass(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is None


def test_allowlist_takes_hosts_and_cidrs() -> None:
    policy = AddressPolicy.from_setting(" 10.0.0.0/8, Intranet.Example ,")
    assert policy.allows("x", ipaddress.ip_address("10.1.2.3"))
    assert policy.allows("x", ipaddress.ip_address("::ffff:10.1.2.3"))
    assert policy.allows("intranet.example", ipaddress.ip_address("192.168.0.1"))
    assert not policy.allows("x", ipaddress.ip_address("192.168.0.1"))


async def test_fetches_page_with_user_agent(settings: Settings, web: LoopbackServer) -> None:
    url = web.route("/page", Reply(body=b"<p>hello</p>"))
    async with fetcher(settings) as client:
        result = await client.fetch(url)
    assert result.content == b"<p>hello</p>"
    assert result.content_type == "text/html"
    assert web.requests[0].headers["user-agent"].startswith("briefbot/")


async def test_loopback_refused_without_allowlist(settings: Settings, web: LoopbackServer) -> None:
    url = web.route("/page", Reply(body=b"secret"))
    async with SafeFetcher(settings) as client:
        with pytest.raises(BlockedAddress, match="loopback"):
            await client.fetch(url)
    assert web.hits["/page"] == 0


async def test_redirect_to_loopback_ip_refused(settings: Settings, web: LoopbackServer) -> None:
    """The first hop is allowlisted by name; the redirect target (an IP) is not."""
    target = web.route("/secret", Reply(body=b"secret"))
    web.route("/jump", Reply(302, headers={"Location": target}))
    async with fetcher(settings, fetch_allowlist="localhost") as client:
        with pytest.raises(BlockedAddress, match=r"127\.0\.0\.1"):
            await client.fetch(web.url("/jump", host="localhost"))
    assert web.hits["/jump"] == 1
    assert web.hits["/secret"] == 0


async def test_redirect_to_private_address_refused_before_connecting(
    settings: Settings, web: LoopbackServer
) -> None:
    web.route("/jump", Reply(301, headers={"Location": "http://10.0.0.1/admin"}))
    async with fetcher(settings, fetch_connect_timeout=0.2) as client:
        with pytest.raises(BlockedAddress, match=r"private address 10\.0\.0\.1"):
            await client.fetch(web.url("/jump"))


async def test_relative_redirect_followed(settings: Settings, web: LoopbackServer) -> None:
    web.route("/new", Reply(body=b"moved here"))
    web.route("/old", Reply(308, headers={"Location": "/new"}))
    async with fetcher(settings) as client:
        result = await client.fetch(web.url("/old"))
    assert result.content == b"moved here"
    assert result.final_url == web.url("/new")
    assert result.redirects == [web.url("/old")]


async def test_endless_redirects_stop(settings: Settings, web: LoopbackServer) -> None:
    counter = iter(range(1000))
    web.route("/loop", lambda req: Reply(302, headers={"Location": f"/loop?n={next(counter)}"}))
    async with fetcher(settings, fetch_max_redirects=3) as client:
        with pytest.raises(TooManyRedirects, match="more than 3 redirects"):
            await client.fetch(web.url("/loop"))
    assert web.hits["/loop"] == 4


async def test_large_body_cut_at_limit(settings: Settings, web: LoopbackServer) -> None:
    web.route("/huge", Reply(body=repeated(b"x" * 65536, 50_000_000)))
    async with fetcher(settings, fetch_max_bytes=1_000_000) as client:
        with pytest.raises(ResponseTooLarge, match="exceeds 1,000,000 bytes"):
            await client.fetch(web.url("/huge"))


async def test_declared_length_over_limit_refused(settings: Settings, web: LoopbackServer) -> None:
    web.route("/big", Reply(body=b"y" * 5000))
    async with fetcher(settings, fetch_max_bytes=4096) as client:
        with pytest.raises(ResponseTooLarge, match="5,000 bytes"):
            await client.fetch(web.url("/big"))


async def test_gzip_bomb_stops_at_decompressed_limit(
    settings: Settings, web: LoopbackServer
) -> None:
    bomb = gzip.compress(b"\0" * 20_000_000, compresslevel=9)
    assert len(bomb) < 100_000
    web.route("/bomb", Reply(body=bomb, headers={"Content-Encoding": "gzip"}))
    async with fetcher(settings, fetch_max_bytes=1_000_000) as client:
        with pytest.raises(ResponseTooLarge, match="after decompression"):
            await client.fetch(web.url("/bomb"))


async def test_gzip_body_decoded(settings: Settings, web: LoopbackServer) -> None:
    zipped = gzip.compress(b"<p>zipped</p>")
    web.route("/gz", Reply(body=zipped, headers={"Content-Encoding": "gzip"}))
    async with fetcher(settings) as client:
        assert (await client.fetch(web.url("/gz"))).content == b"<p>zipped</p>"


async def test_slow_drip_hits_total_deadline(settings: Settings, web: LoopbackServer) -> None:
    web.route("/slow", Reply(body=repeated(b"a", 1000), chunk_delay=0.05))
    async with fetcher(settings, fetch_total_timeout=0.5, fetch_read_timeout=0.4) as client:
        with pytest.raises(FetchTimeout, match="total deadline"):
            await client.fetch(web.url("/slow"))


async def test_html_refused_where_a_feed_is_expected(
    settings: Settings, web: LoopbackServer
) -> None:
    web.route("/feed", Reply(body=b"<html></html>"))
    async with fetcher(settings) as client:
        with pytest.raises(UnsupportedContentType, match="text/html"):
            await client.fetch(web.url("/feed"), allowed_types=FEED_TYPES)


async def test_error_status_and_bad_scheme(settings: Settings, web: LoopbackServer) -> None:
    async with fetcher(settings) as client:
        with pytest.raises(HttpStatusError, match="HTTP 404"):
            await client.fetch(web.url("/missing"))
        with pytest.raises(UnsupportedScheme):
            await client.fetch("file:///etc/passwd")
        with pytest.raises(UnsupportedScheme):
            await client.fetch("ftp://127.0.0.1/x")


async def test_redirect_loop_detected(settings: Settings, web: LoopbackServer) -> None:
    web.route("/a", Reply(302, headers={"Location": "/b"}))
    web.route("/b", Reply(302, headers={"Location": "/a"}))
    async with fetcher(settings) as client:
        with pytest.raises(TooManyRedirects, match="redirect loop"):
            await client.fetch(web.url("/a"))
    assert (web.hits["/a"], web.hits["/b"]) == (1, 1)


async def test_pinned_connection_keeps_host_header(settings: Settings, web: LoopbackServer) -> None:
    """The request goes to the checked IP literal; the server still sees the name."""
    web.route("/page", Reply(body=b"ok"))
    async with fetcher(settings, fetch_allowlist="localhost") as client:
        result = await client.fetch(web.url("/page", host="localhost"))
    assert result.content == b"ok"
    assert web.requests[0].headers["host"] == f"localhost:{web.port}"


async def test_stalled_server_hits_read_timeout(settings: Settings, web: LoopbackServer) -> None:
    def stall() -> Iterator[bytes]:
        yield b"<p>start"
        time.sleep(1.0)
        yield b"</p>"

    web.route("/stall", lambda _req: Reply(body=stall()))
    async with fetcher(settings, fetch_read_timeout=0.2) as client:
        with pytest.raises(FetchTimeout, match="ReadTimeout"):
            await client.fetch(web.url("/stall"))
