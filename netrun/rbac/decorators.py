"""View decorators (sync and async views): tenant membership, roles, permissions.

::

    @permission_required("helpdesk.summarize_ticket")
    def summarize(request, pk): ...

Denials raise netrun errors, which ``ErrorEnvelopeMiddleware`` turns into 403 envelopes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from asgiref.sync import iscoroutinefunction, sync_to_async

from netrun.errors import PermissionDeniedError
from netrun.rbac._permissions import configured_tenant_naming, require_member
from netrun.rbac.access import require_permission, subject_for

__all__ = ["permission_required", "role_required", "tenant_member_required"]

_F = TypeVar("_F", bound=Callable[..., Any])


def _decorate(check: Callable[[Any], None]) -> Callable[[_F], _F]:
    def decorator(view: _F) -> _F:
        if iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
                await sync_to_async(check)(request)
                return await view(request, *args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(view)
        def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            check(request)
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def _member(request: Any) -> None:
    require_member(subject_for(request), naming=configured_tenant_naming())


def tenant_member_required(view: _F) -> _F:
    """Only active members of the request's tenant (and superusers) get through."""
    return _decorate(_member)(view)


def role_required(*roles: str) -> Callable[[_F], _F]:
    """Members with any of ``roles`` in the request's tenant."""

    def check(request: Any) -> None:
        _member(request)
        subject = subject_for(request)
        if not (subject.roles & set(roles) or subject.is_superuser):
            raise PermissionDeniedError("A role is required.", roles=sorted(roles))

    return _decorate(check)


def permission_required(perm: str) -> Callable[[_F], _F]:
    """Members granted ``perm`` in the request's tenant."""

    def check(request: Any) -> None:
        _member(request)
        require_permission(request, perm)

    return _decorate(check)
