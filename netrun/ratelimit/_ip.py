"""The client's IP address behind a known number of reverse proxies.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import ipaddress

__all__ = ["client_ip"]


def _parse(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not value:
        return None
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_ip(
    remote_addr: str | None,
    forwarded_for: str | None = None,
    *,
    trusted_proxy_count: int = 0,
    ipv6_prefix: int = 64,
) -> str | None:
    """The address to rate-limit by, or ``None`` when there is no usable address.

    ``X-Forwarded-For`` is trusted only as far as ``trusted_proxy_count`` says: each of our
    proxies appends the address it received the request from, so the client is the
    ``trusted_proxy_count``-th entry from the right. Entries further left were written by the
    client and are ignored, whatever they say. With no trusted proxies, or a header too short
    to have passed through all of them (a request that reached us around the proxies), the
    socket's ``REMOTE_ADDR`` is used. IPv6 addresses are reduced to their ``/ipv6_prefix``
    network: one subscriber usually holds a whole /64.
    """
    address = _parse(remote_addr)
    if trusted_proxy_count > 0 and forwarded_for:
        hops = [hop for hop in forwarded_for.split(",") if hop.strip()]
        if len(hops) >= trusted_proxy_count:
            # Written by our outermost proxy; should it be garbage, the socket still is not.
            address = _parse(hops[-trusted_proxy_count]) or address
    if address is None:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        network = ipaddress.IPv6Network(f"{address}/{ipv6_prefix}", strict=False)
        return str(network.network_address)
    return str(address)
