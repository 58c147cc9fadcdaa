"""Credential redaction for database URLs and libpq connection strings.

Every log line and every error this package emits names the database through
:func:`redact_url`, so a password never reaches a log sink or an HTTP client.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["redact_error", "redact_url"]

MASK = "***"

# Query parameters (URL form) and keywords (key=value form) that carry secrets in libpq.
_SECRET_PARAMS = frozenset({"password", "sslpassword", "passfile_password"})
# key=value conninfo: password='it''s' or password=plain; quoted values may hold spaces.
_KEYWORD_SECRET = re.compile(
    r"(?P<key>\b(?:ssl)?password\s*=\s*)(?:'(?:[^'\\]|\\.)*'|[^\s]+)", re.IGNORECASE
)
# The seeds' form, kept as the last line of defence for text that is not a clean URL
# (a URL inside an error message): scheme://user:secret@host -> scheme://user:***@host.
_URL_USERINFO = re.compile(r"(?P<prefix>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@?#]*:)[^\s@/]*@")


def redact_url(url: str | None) -> str:
    """``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db``.

    Also masks ``?password=`` query parameters and ``password=`` in key=value connection
    strings. ``None`` or an empty value becomes ``""``.
    """
    if not url:
        return ""
    if "://" not in url:
        return _KEYWORD_SECRET.sub(lambda m: m["key"] + MASK, url)
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        # An unparseable URL (bad port, stray brackets) still gets the pattern-based mask.
        return _mask_text(url)
    netloc = parts.netloc
    if password is not None:
        userinfo, _, hostinfo = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{hostinfo}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(key.lower() in _SECRET_PARAMS for key, _ in pairs):
            query = urlencode(
                [(k, MASK if k.lower() in _SECRET_PARAMS else v) for k, v in pairs], safe="*"
            )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _mask_text(text: str) -> str:
    text = _URL_USERINFO.sub(lambda m: m["prefix"] + MASK + "@", text)
    return _KEYWORD_SECRET.sub(lambda m: m["key"] + MASK, text)


def redact_error(error: BaseException, *secrets: str) -> str:
    """The message of ``error`` safe to log: URLs, ``password=`` and the given secrets masked.

    libpq echoes fragments of a malformed connection string in its messages, so the raw text
    of a connection error may hold the password.
    """
    text = _mask_text(str(error))
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
