"""Parsing and comparing serialized origins (RFC 6454), strictly.

Browsers send the ``Origin`` header in one canonical form: a lowercase scheme and host, no
userinfo, no path, no trailing dot, no default port (``https://example.com``, never
``https://EXAMPLE.com:443/``). Anything else came from a script, a proxy or an attacker, so a
request origin that is not canonical is refused rather than "cleaned up": cleaning is where
bypasses live (``https://evil@example.com``, ``https://example.com.``).

Configured origins are more forgiving: they are normalized (lowercased, default port dropped)
and every mistake that cannot be normalized safely is reported with a reason.

Framework-neutral: standard library only.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

__all__ = [
    "NULL_ORIGIN",
    "Origin",
    "OriginError",
    "is_loopback",
    "normalize_origin",
    "parse_request_origin",
    "safe_for_log",
]

NULL_ORIGIN = "null"

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

# The outline only: every part is validated again below, so this can stay readable.
_OUTLINE = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.\-]+)"
    r"(?::(?P<port>[0-9]{1,5}))?"
)
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?")

# How many characters of a hostile header a log line may carry.
LOG_MAX_CHARS = 120


class OriginError(ValueError):
    """A value is not a serialized origin; ``reason`` is a short machine-readable word."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Origin:
    """A parsed origin; ``str(origin)`` is its canonical serialization."""

    scheme: str
    host: str
    port: int | None = None

    def __str__(self) -> str:
        if self.port is None:
            return f"{self.scheme}://{self.host}"
        return f"{self.scheme}://{self.host}:{self.port}"


def _diagnose(value: str) -> OriginError:
    """Name the most useful reason a value does not even have the outline of an origin."""
    if not value:
        return OriginError("empty", "the origin is empty")
    if any(ord(char) < 0x21 or ord(char) > 0x7E for char in value):
        return OriginError("invalid_characters", "the origin has spaces, controls or non-ASCII")
    if "*" in value:
        return OriginError(
            "wildcard_pattern",
            "wildcards are not origins; list each origin or use an anchored origin regex",
        )
    _, separator, rest = value.partition("://")
    if not separator:
        return OriginError("no_scheme", "an origin is scheme://host[:port]")
    if "@" in rest:
        return OriginError("userinfo", "an origin never carries user:password@")
    if any(char in rest for char in "/?#"):
        return OriginError("path", "an origin has no path, query or fragment (not even '/')")
    return OriginError("malformed", "not a valid scheme://host[:port]")


def _parse(value: str) -> Origin:
    match = _OUTLINE.fullmatch(value)
    if match is None:
        raise _diagnose(value)
    scheme = match["scheme"].lower()
    raw_host = match["host"]
    port_text = match["port"]
    host = _parse_host(raw_host)
    port: int | None = None
    if port_text is not None:
        port = int(port_text)
        if not 0 < port < 65536:
            raise OriginError("bad_port", "the port is outside 1-65535")
        if DEFAULT_PORTS.get(scheme) == port:
            port = None
    return Origin(scheme, host, port)


def _parse_host(raw: str) -> str:
    if raw.startswith("["):
        try:
            address = ipaddress.IPv6Address(raw[1:-1])
        except ValueError:
            raise OriginError("bad_host", "not a valid IPv6 address") from None
        return f"[{address.compressed}]"
    host = raw.lower()
    if host.endswith("."):
        # "example.com." resolves like "example.com" but is another origin string; allowing
        # it would let one listed origin be spelled two ways.
        raise OriginError("trailing_dot", "the host ends with a dot")
    labels = host.split(".")
    if all(label.isdigit() for label in labels):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise OriginError("bad_host", "not a valid IPv4 address") from None
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise OriginError("bad_host", "the host is not a valid domain name")
    return host


def normalize_origin(value: str) -> str:
    """The canonical form of a configured origin (``"null"`` stays ``"null"``).

    Raises :class:`OriginError` for anything that is not an origin, with the reason.
    """
    stripped = value.strip()
    if stripped.lower() == NULL_ORIGIN:
        return NULL_ORIGIN
    return str(_parse(stripped))


def parse_request_origin(value: str) -> str:
    """The request's ``Origin`` header if it is a canonical serialized origin.

    Raises :class:`OriginError` otherwise, including for non-canonical spellings of a valid
    origin (uppercase, an explicit default port): browsers never send them.
    """
    if value == NULL_ORIGIN:
        return value
    canonical = str(_parse(value))
    if canonical != value:
        raise OriginError("not_canonical", "the origin is not in the form browsers send")
    return canonical


def is_loopback(origin: str) -> bool:
    """True for origins on this machine (``localhost``, ``127.0.0.0/8``, ``[::1]``)."""
    try:
        host = _parse(origin).host
    except OriginError:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def safe_for_log(value: str | None, limit: int = LOG_MAX_CHARS) -> str | None:
    """``value`` with every non-printable or non-ASCII character escaped, then truncated.

    A header is attacker-controlled: unescaped it could forge log lines (CR/LF), hide text
    (terminal escapes) or fill the disk.
    """
    if value is None:
        return None
    escaped: list[str] = []
    length = 0
    for char in value:
        code = ord(char)
        if 0x20 <= code < 0x7F and char != "\\":
            piece = char
        elif char == "\\":
            piece = "\\\\"
        elif code <= 0xFF:
            piece = f"\\x{code:02x}"
        else:
            piece = f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
        if length + len(piece) > limit:
            return "".join(escaped) + f"...[{len(value)} chars]"
        escaped.append(piece)
        length += len(piece)
    return "".join(escaped)
