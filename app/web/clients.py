"""Who is asking, for the rate limit: the connecting address, or behind a trusted reverse proxy the address
it says it forwarded for. X-Forwarded-For is believed only from the configured proxies; anyone else can
write anything in it."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(entries: Sequence[str]) -> list[Network]:
    """The trusted proxies as networks (a bare address is a /32 or /128)."""
    return [ipaddress.ip_network(e, strict=False) for e in entries]


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(addr: ipaddress.IPv4Address | ipaddress.IPv6Address | None, nets: Sequence[Network]) -> bool:
    return addr is not None and any(addr.version == n.version and addr in n for n in nets)


def client_key(peer: str | None, forwarded: str | None, nets: Sequence[Network]) -> str:
    """The rate-limit key: walk X-Forwarded-For from the right past our own proxies; the first other hop
    is the client. A malformed hop stops the walk at the last address we could trust."""
    key = peer or "unknown"
    if not forwarded or not _trusted(_ip(key), nets):
        return key
    for hop in reversed(forwarded.split(",")[-32:]):
        addr = _ip(hop)
        if addr is None:
            break
        key = str(addr)
        if not _trusted(addr, nets):
            break
    return key
