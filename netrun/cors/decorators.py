"""``@cors_policy``: a different CORS policy for the few views that need one.

::

    from netrun.cors import cors_policy

    @cors_policy(origins=["https://partner.example.com"], allow_credentials=False)
    def partner_feed(request): ...

    @cors_policy(enabled=False)          # never any CORS headers here
    def admin_only(request): ...

The decorator only marks the view (function, class-based view or DRF viewset); the
``netrun.cors`` middleware finds the mark by resolving the URL, so preflight requests,
which never reach a view, get the view's policy too. Arguments replace the project's value
of the same setting; the rest is inherited. The same strictness applies, and the system
checks validate every decorated view in the URLconf.

Framework-neutral: nothing is read or imported from Django when a view is decorated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from netrun.cors.policy import PolicyOverride

__all__ = ["VIEW_POLICY_ATTRIBUTE", "cors_policy", "view_override", "view_policy_count"]

VIEW_POLICY_ATTRIBUTE = "netrun_cors_policy"

_F = TypeVar("_F", bound=Callable[..., Any])

# How many views carry a policy: while zero, the middleware skips resolving URLs.
_marked = 0


def _tuple(value: Iterable[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        # A bare string would be split into characters; it is one entry.
        return (value,)
    return tuple(value)


def cors_policy(
    *,
    preset: str | None = None,
    origins: Iterable[str] | None = None,
    origin_regexes: Iterable[str] | None = None,
    allow_all_origins: bool | None = None,
    allow_credentials: bool | None = None,
    allow_methods: Iterable[str] | None = None,
    allow_headers: Iterable[str] | None = None,
    expose_headers: Iterable[str] | None = None,
    max_age: int | None = None,
    enabled: bool | None = None,
) -> Callable[[_F], _F]:
    """Mark a view with its own CORS policy (see the module docstring)."""
    override = PolicyOverride(
        preset=preset,
        origins=_tuple(origins),
        origin_regexes=_tuple(origin_regexes),
        allow_all_origins=allow_all_origins,
        allow_credentials=allow_credentials,
        allow_methods=_tuple(allow_methods),
        allow_headers=_tuple(allow_headers),
        expose_headers=_tuple(expose_headers),
        max_age=max_age,
        enabled=enabled,
    )

    def mark(view: _F) -> _F:
        global _marked
        setattr(view, VIEW_POLICY_ATTRIBUTE, override)
        _marked += 1
        return view

    return mark


def view_policy_count() -> int:
    return _marked


def view_override(view: object) -> PolicyOverride | None:
    """The override marked on ``view``, on its class-based view or on its DRF viewset."""
    for candidate in (view, getattr(view, "view_class", None), getattr(view, "cls", None)):
        override = getattr(candidate, VIEW_POLICY_ATTRIBUTE, None)
        if isinstance(override, PolicyOverride):
            return override
    return None
