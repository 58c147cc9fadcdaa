"""Redaction of secrets from log events, before any renderer or sink sees them.

Two rules, applied to every event:

* **Keys.** A value whose key looks sensitive (``password``, ``token``, ``authorization``,
  ``cookie``, ...) is replaced by ``"[REDACTED]"``, at any depth of dicts, lists and tuples.
  Matching is case-insensitive and substring-aware (``db_password``, ``X-Api-Key`` and
  ``Set-Cookie`` all match), with an allow-list for the harmless keys an LLM suite logs all
  the time (``prompt_tokens``, ``max_tokens``, ...). A key that is sensitive only because it
  says "token" and ends in ``tokens`` (``cache_read_tokens``) names a count: an integer
  under it is kept, anything else (a list of tokens, a string) is redacted.
* **Values.** Any string, wherever it appears (the event name, a nested value, a formatted
  traceback), has bearer tokens, JWTs, ``sk-`` / ``sk-ant-`` API keys and the password of a
  URL's credentials (``postgresql://user:***@host/db``) replaced.

The redactor is on the hot path of every log call, so the regexes are compiled once, key
verdicts are cached and strings that cannot hold a secret are recognised without running a
regex at all.

This module is framework-neutral.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any, Final

__all__ = [
    "DEFAULT_SAFE_KEYS",
    "DEFAULT_SENSITIVE_KEYS",
    "REDACTED",
    "Redactor",
    "redact_text",
]

REDACTED: Final = "[REDACTED]"

#: Substrings that make a key sensitive (compared lowercase, with ``-`` read as ``_``).
DEFAULT_SENSITIVE_KEYS: Final[tuple[str, ...]] = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "api_key",
    "apikey",
    "authorization",
    "auth_header",
    "cookie",
    "session",
    "private_key",
    "credential",
    "signature",
    "dsn",
)

#: Keys that contain a sensitive substring but hold counts or labels, never secrets.
DEFAULT_SAFE_KEYS: Final[frozenset[str]] = frozenset(
    {
        "tokens",
        "token_count",
        "token_type",
        "token_usage",
        "tokens_used",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "input_tokens",
        "output_tokens",
        "max_tokens",
        "max_output_tokens",
        "cached_tokens",
        "reasoning_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "session_count",
    }
)

# The value patterns. Each starts with a short literal that _may_contain_secret() looks for
# first, so ordinary strings never reach the regex engine.
_BEARER = r"(?P<bearer>\b[Bb][Ee][Aa][Rr][Ee][Rr][ \t]+)[A-Za-z0-9\-._~+/]{8,}=*"
_JWT = r"(?<![A-Za-z0-9])eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"
_API_KEY = r"(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{12,}"
# scheme://user:password@ : the password runs to the last "@" before the path, so a password
# that (wrongly, but commonly) contains an unescaped "@" is still removed whole.
_URL_CREDENTIALS = r"(?P<url>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@?#]*:)[^\s/]*@"

_SECRET_VALUE = re.compile("|".join((_BEARER, _JWT, _API_KEY, _URL_CREDENTIALS)))

# No secret pattern matches fewer characters than this ("sk-" plus twelve).
_MIN_SECRET_LENGTH: Final = 15

_KEY_CACHE_LIMIT: Final = 4096

_PLAIN: Final = 0
_SENSITIVE: Final = 1
_TRUSTED: Final = 2
# Sensitive only through "token" and ending in "tokens" (cache_read_tokens): an int is a
# count and is kept; any other value may be a list of real tokens and is redacted.
_COUNT: Final = 3
# Keys whose values netrun's own processors generate (levels, timestamps, logger names,
# nothing a caller passes can end up there.
_TRUSTED_KEYS: Final = ("level", "log_level", "timestamp", "logger")


def _replace(match: re.Match[str]) -> str:
    prefix = match["bearer"]
    if prefix is not None:
        return prefix + REDACTED
    prefix = match["url"]
    if prefix is not None:
        return prefix + "***@"
    return REDACTED


def _may_contain_secret(text: str) -> bool:
    # Plain substring tests run in C and are several times cheaper than a regex search;
    # only strings that pass one of them are scanned. "Bearer" is matched as clients write
    # it ("Bearer", "bearer", "BEARER"): lowering every string to also catch "bEaReR" would
    # cost more than the rest of the check. URLs are common in logs, but only those with
    # an "@" can hold credentials.
    return (
        "eyJ" in text
        or "sk-" in text
        or ("://" in text and "@" in text)
        or "earer" in text
        or "EARER" in text
    )


def redact_text(text: str) -> str:
    """Return ``text`` with every secret-looking value replaced."""
    if len(text) < _MIN_SECRET_LENGTH or not _may_contain_secret(text):
        return text
    return _SECRET_VALUE.sub(_replace, text)


class Redactor:
    """Redact sensitive keys and secret-looking values in a structlog event dict.

    Instances are structlog processors (``redactor(logger, method_name, event_dict)``) and can
    also clean any value with :meth:`redact`. ``sensitive_keys`` replaces the default list;
    ``extra_sensitive_keys`` adds to it; ``safe_keys`` replaces the allow-list, and with it
    the default rule that keeps integer counts under ``*tokens`` keys.
    """

    __slots__ = ("_counts", "_key_cache", "_plain_keys", "safe_keys", "sensitive_keys")

    def __init__(
        self,
        sensitive_keys: Iterable[str] | None = None,
        *,
        extra_sensitive_keys: Iterable[str] = (),
        safe_keys: Iterable[str] | None = None,
    ) -> None:
        base = DEFAULT_SENSITIVE_KEYS if sensitive_keys is None else tuple(sensitive_keys)
        self.sensitive_keys: tuple[str, ...] = tuple(
            dict.fromkeys(_normalise(key) for key in (*base, *extra_sensitive_keys) if key)
        )
        self.safe_keys: frozenset[str] = frozenset(
            _normalise(key) for key in (DEFAULT_SAFE_KEYS if safe_keys is None else safe_keys)
        )
        self._counts = safe_keys is None
        # Key -> _PLAIN / _SENSITIVE / _TRUSTED. The keys netrun itself fills with values it
        # generates are trusted and skipped.
        self._key_cache: dict[str, int] = dict.fromkeys(_TRUSTED_KEYS, _TRUSTED)
        # The plain keys again, as a set: "key in set" is the cheapest test on the hot path.
        self._plain_keys: set[str] = set()

    def _classify(self, key: str) -> int:
        normalised = _normalise(key)
        if normalised in self.safe_keys:
            kind = _PLAIN
        else:
            terms = [term for term in self.sensitive_keys if term in normalised]
            if not terms:
                kind = _PLAIN
            elif (
                self._counts
                and normalised.endswith("tokens")
                and all(term == "token" for term in terms)
            ):
                kind = _COUNT
            else:
                kind = _SENSITIVE
        # Keys are few and repeat on every event; the cap only guards against events that
        # use unbounded user data as keys.
        if len(self._key_cache) < _KEY_CACHE_LIMIT:
            self._key_cache[key] = kind
            if kind == _PLAIN:
                self._plain_keys.add(key)
        return kind

    def is_sensitive_key(self, key: str) -> bool:
        """True when values stored under ``key`` must never be logged."""
        kind = self._key_cache.get(key)
        if kind is None:
            kind = self._classify(key)
        return kind == _SENSITIVE

    def redact(self, value: Any) -> Any:
        """A copy of ``value`` with sensitive keys and secret-looking strings redacted.

        Containers are copied only when something inside them changed.
        """
        if isinstance(value, str):
            if len(value) < _MIN_SECRET_LENGTH or not _may_contain_secret(value):
                return value
            return _SECRET_VALUE.sub(_replace, value)
        if isinstance(value, Mapping):
            return self._redact_mapping(value)
        if isinstance(value, (list, tuple)):
            items = [self.redact(item) for item in value]
            if all(new is old for new, old in zip(items, value, strict=True)):
                return value
            return tuple(items) if isinstance(value, tuple) else items
        return value

    def _redact_mapping(self, mapping: Mapping[Any, Any]) -> Mapping[Any, Any]:
        changed: dict[Any, Any] | None = None
        cache = self._key_cache
        for key, item in mapping.items():
            kind = _PLAIN
            if isinstance(key, str):
                cached = cache.get(key)
                kind = self._classify(key) if cached is None else cached
            if kind == _SENSITIVE or (kind == _COUNT and item.__class__ is not int):
                new: Any = REDACTED if item is not None else None
            else:
                new = self.redact(item)
            if new is not item:
                if changed is None:
                    changed = {}
                changed[key] = new
        if changed is None:
            return mapping
        return {**mapping, **changed}

    def __call__(
        self, logger: object, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        # The hot path: the checks of redact() and is_sensitive_key() inlined. The event dict
        # is ours to change in place (structlog builds a fresh one for every call).
        plain = self._plain_keys
        for key, value in event_dict.items():
            if key not in plain:
                kind = self._key_cache.get(key)
                if kind is None:
                    kind = self._classify(key)
                if kind == _SENSITIVE:
                    if value is not None:
                        event_dict[key] = REDACTED
                    continue
                if kind == _COUNT:
                    if value is not None and value.__class__ is not int:
                        event_dict[key] = REDACTED
                    continue
                if kind == _TRUSTED:
                    continue
            cls = value.__class__
            if cls is str:
                if len(value) >= _MIN_SECRET_LENGTH and (
                    "eyJ" in value
                    or "sk-" in value
                    or ("://" in value and "@" in value)
                    or "earer" in value
                    or "EARER" in value
                ):
                    event_dict[key] = _SECRET_VALUE.sub(_replace, value)
            elif value is not None and cls not in _SCALARS:
                new = self.redact(value)
                if new is not value:
                    event_dict[key] = new
        return event_dict


_SCALARS: Final = frozenset({int, float, bool})


def _normalise(key: str) -> str:
    return key.lower().replace("-", "_")
