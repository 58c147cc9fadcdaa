"""Origin parsing: canonical request origins, normalized configured origins, safe logging."""

from __future__ import annotations

import pytest

from netrun.cors.origins import (
    OriginError,
    is_loopback,
    normalize_origin,
    parse_request_origin,
    safe_for_log,
)


@pytest.mark.parametrize(
    "origin",
    [
        "https://example.com",
        "http://localhost:5173",
        "https://127.0.0.1:8443",
        "https://[::1]:3000",
        "https://a_b.example.com",
        "capacitor://localhost",
        "null",
    ],
)
def test_canonical_origins_parse_to_themselves(origin: str) -> None:
    assert parse_request_origin(origin) == origin


@pytest.mark.parametrize(
    ("origin", "reason"),
    [
        ("", "empty"),
        ("https://example.com/", "path"),
        ("https://example.com?x", "path"),
        ("https://u:p@example.com", "userinfo"),
        ("https://*.example.com", "wildcard_pattern"),
        ("example.com", "no_scheme"),
        ("https://exa mple.com", "invalid_characters"),
        ("https://exämple.com", "invalid_characters"),
        ("https://example.com.", "trailing_dot"),
        ("https://example..com", "bad_host"),
        ("https://-example.com", "bad_host"),
        ("https://999.1.1.1", "bad_host"),
        ("https://[::12345]", "bad_host"),
        ("https://example.com:0", "bad_port"),
        ("https://example.com:99999", "bad_port"),
        ("https://EXAMPLE.com", "not_canonical"),
        ("https://example.com:443", "not_canonical"),
        ("https://[0:0::1]", "not_canonical"),
        ("https://example.com:+1", "malformed"),
        ("NULL", "no_scheme"),
    ],
)
def test_request_origins_that_are_not_canonical_are_refused_with_a_reason(
    origin: str, reason: str
) -> None:
    with pytest.raises(OriginError) as error:
        parse_request_origin(origin)
    assert error.value.reason == reason


@pytest.mark.parametrize(
    ("configured", "normalized"),
    [
        ("HTTPS://Example.COM", "https://example.com"),
        ("https://example.com:443", "https://example.com"),
        ("http://example.com:80", "http://example.com"),
        ("http://example.com:8000", "http://example.com:8000"),
        (" https://example.com ", "https://example.com"),
        ("NULL", "null"),
        ("https://[0:0::1]:8080", "https://[::1]:8080"),
    ],
)
def test_configured_origins_are_normalized(configured: str, normalized: str) -> None:
    assert normalize_origin(configured) == normalized


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("http://localhost:3000", True),
        ("http://app.localhost", True),
        ("http://127.0.0.2", True),
        ("http://[::1]", True),
        ("http://example.com", False),
        ("http://10.0.0.1", False),
        ("not an origin", False),
    ],
)
def test_is_loopback(origin: str, expected: bool) -> None:
    assert is_loopback(origin) is expected


def test_safe_for_log_escapes_control_and_non_ascii_characters() -> None:
    assert (
        safe_for_log("a\r\nb\\c\x1b\u202e\U0001f600") == "a\\x0d\\x0ab\\\\c\\x1b\\u202e\\U0001f600"
    )


def test_safe_for_log_truncates_and_says_how_long_the_value_was() -> None:
    logged = safe_for_log("x" * 1000, limit=10)
    assert logged == "xxxxxxxxxx...[1000 chars]"


def test_safe_for_log_keeps_none() -> None:
    assert safe_for_log(None) is None
