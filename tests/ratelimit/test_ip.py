from __future__ import annotations

import pytest

from netrun.ratelimit import client_ip


def test_without_trusted_proxies_x_forwarded_for_is_ignored() -> None:
    assert client_ip("10.0.0.9", "6.6.6.6", trusted_proxy_count=0) == "10.0.0.9"


def test_one_trusted_proxy_takes_the_address_it_appended() -> None:
    assert client_ip("10.0.0.1", "203.0.113.7", trusted_proxy_count=1) == "203.0.113.7"


def test_a_spoofed_prefix_written_by_the_client_is_ignored() -> None:
    # The client sent "X-Forwarded-For: 6.6.6.6"; our two proxies appended behind it.
    header = "6.6.6.6, 203.0.113.7, 10.0.0.2"
    assert client_ip("10.0.0.1", header, trusted_proxy_count=2) == "203.0.113.7"
    assert client_ip("10.0.0.1", header, trusted_proxy_count=1) == "10.0.0.2"


def test_a_header_shorter_than_the_proxy_chain_falls_back_to_the_socket() -> None:
    assert client_ip("198.51.100.4", "6.6.6.6", trusted_proxy_count=2) == "198.51.100.4"


def test_garbage_in_the_trusted_position_falls_back_to_the_socket() -> None:
    assert client_ip("198.51.100.4", "not-an-ip", trusted_proxy_count=1) == "198.51.100.4"


def test_ipv6_clients_are_grouped_by_their_64_network() -> None:
    assert client_ip("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::"
    assert client_ip("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::"
    assert client_ip("2001:db8:1:2::1", ipv6_prefix=128) == "2001:db8:1:2::1"


def test_ipv4_mapped_ipv6_is_the_ipv4_address() -> None:
    assert client_ip("::ffff:192.0.2.1") == "192.0.2.1"


@pytest.mark.parametrize("remote", [None, "", "unix-socket"])
def test_no_usable_address_is_none(remote: str | None) -> None:
    assert client_ip(remote) is None
