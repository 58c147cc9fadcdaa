"""Key functions: who a Django request is rate-limited as.

A key function takes ``(group, request)`` and returns a string, or ``None`` for "do not
limit this request" (``user`` for an anonymous visitor, ``tenant`` outside a tenant). The
signature is django-ratelimit's, so existing key functions keep working. A key spec is one
of these names, ``header:<name>``, ``get:<param>``, ``post:<field>``, the dotted path of a
key function, or a key function.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from typing import Any

from netrun.core.context import current_tenant_id
from netrun.ratelimit._ip import client_ip
from netrun.ratelimit.conf import conf

__all__ = [
    "BUILTIN_KEYS",
    "KeyFunc",
    "KeySpec",
    "ip",
    "resolve_key",
    "resolve_key_func",
    "tenant",
    "user",
    "user_or_ip",
]

KeyFunc = Callable[[str, Any], "str | None"]
KeySpec = "str | KeyFunc"

# Keys longer than this are hashed: header values are client-controlled and unbounded.
_MAX_KEY_LENGTH = 128


def ip(group: str, request: Any) -> str | None:
    """The client address, through ``NETRUN_RATELIMIT_TRUSTED_PROXY_COUNT`` proxies only."""
    meta = request.META
    address = client_ip(
        meta.get("REMOTE_ADDR"),
        meta.get("HTTP_X_FORWARDED_FOR"),
        trusted_proxy_count=conf.trusted_proxy_count,
    )
    return None if address is None else f"ip:{address}"


def user(group: str, request: Any) -> str | None:
    """The authenticated user's primary key; anonymous requests are not limited by it."""
    account = getattr(request, "user", None)
    if account is None or not account.is_authenticated:
        return None
    return f"user:{account.pk}"


def user_or_ip(group: str, request: Any) -> str | None:
    """The user when authenticated, else the client address."""
    return user(group, request) or ip(group, request)


def tenant(group: str, request: Any) -> str | None:
    """The tenant of the request context (netrun.rbac binds it), else ``request.tenant_id``."""
    value = current_tenant_id() or getattr(request, "tenant_id", None)
    return None if value is None else f"tenant:{value}"


def _accessor(kind: str, name: str) -> KeyFunc:
    def read(group: str, request: Any) -> str | None:
        if kind == "header":
            value = request.headers.get(name)
        elif kind == "get":
            value = request.GET.get(name)
        else:
            value = request.POST.get(name)
        return f"{kind}:{name}:{value}" if value else None

    return read


BUILTIN_KEYS: dict[str, KeyFunc] = {
    "ip": ip,
    "user": user,
    "user_or_ip": user_or_ip,
    "tenant": tenant,
}


def resolve_key_func(spec: str | KeyFunc) -> KeyFunc:
    """The key function for ``spec``; ``ValueError`` / ``ImportError`` name a bad spec."""
    if callable(spec):
        return spec
    if spec in BUILTIN_KEYS:
        return BUILTIN_KEYS[spec]
    kind, sep, name = spec.partition(":")
    if sep:
        if kind in {"header", "get", "post"} and name:
            return _accessor(kind, name)
        raise ValueError(f"unknown rate-limit key {spec!r}: use header:, get: or post:")
    module_name, _, attribute = spec.rpartition(".")
    if not module_name:
        raise ValueError(
            f"unknown rate-limit key {spec!r}: use ip, user, user_or_ip, tenant, "
            "header:<name>, get:<param>, post:<field> or a dotted path"
        )
    try:
        func = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise ImportError(f"rate-limit key {spec!r} cannot be imported: {error}") from error
    if not callable(func):
        raise ValueError(f"rate-limit key {spec!r} is not callable")
    return func  # type: ignore[no-any-return]


def resolve_key(spec: str | KeyFunc, group: str, request: Any) -> str | None:
    """The limiter key for ``request``: ``"<group>:<value>"``, or ``None`` to skip it."""
    value = resolve_key_func(spec)(group, request)
    if value is None or value == "":
        return None
    value = str(value)
    if len(value) > _MAX_KEY_LENGTH:
        value = "sha256:" + hashlib.sha256(value.encode()).hexdigest()
    return f"{group}:{value}"
