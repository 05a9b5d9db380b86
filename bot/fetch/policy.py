"""Which addresses may be fetched: public unicast only, unless the allowlist names them."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field

from bot.fetch.errors import BlockedAddress, ResolveFailed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def unwrap(ip: IPAddress) -> IPAddress:
    """The IPv4 address hidden in an IPv4-mapped, 6to4 or Teredo IPv6 address, else `ip`."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
    return ip


def blocked_reason(ip: IPAddress) -> str | None:
    """Why `ip` must not be fetched, or None for a public unicast address."""
    for candidate in {ip, unwrap(ip)}:
        for label, flag in (
            ("unspecified", candidate.is_unspecified),
            ("loopback", candidate.is_loopback),
            ("link-local", candidate.is_link_local),
            ("multicast", candidate.is_multicast),
            ("private", candidate.is_private),
            ("reserved", candidate.is_reserved),
            ("non-global", not candidate.is_global),
        ):
            if flag:
                return f"{label} address {candidate}"
    return None


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses pass; blocked ones pass only when their host or network is allowlisted."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = field(default_factory=tuple)

    @classmethod
    def from_setting(cls, allowlist: str) -> AddressPolicy:
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in (e.strip() for e in allowlist.split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def allows(self, host: str, ip: IPAddress) -> bool:
        if host.lower().rstrip(".") in self.hosts:
            return True
        return any(addr in net for net in self.networks for addr in {ip, unwrap(ip)})

    def check(self, url: str, host: str, ip: IPAddress) -> None:
        reason = blocked_reason(ip)
        if reason is not None and not self.allows(host, ip):
            raise BlockedAddress(url, f"refused to fetch {host}: it resolves to a {reason}")

    async def resolve(self, url: str, host: str, port: int) -> list[IPAddress]:
        """Every address of `host`, each checked; refuses the host if any address is blocked.

        Checking all of them (not just the first) means a name that mixes a public and a
        private address cannot be used to reach the private one.
        """
        try:
            addresses: list[IPAddress] = [ipaddress.ip_address(host)]
        except ValueError:
            loop = asyncio.get_running_loop()
            try:
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (socket.gaierror, UnicodeError) as exc:
                raise ResolveFailed(url, f"cannot resolve {host}: {exc}") from exc
            addresses = []
            for info in infos:
                ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
                if ip not in addresses:
                    addresses.append(ip)
        if not addresses:
            raise ResolveFailed(url, f"cannot resolve {host}: no addresses")
        for ip in addresses:
            self.check(url, host, ip)
        return addresses
