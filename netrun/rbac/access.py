"""The Django side of the permission API: who is asking, and what they may do and see.

::

    from netrun.rbac.access import has_permission, objects_for_user

    if has_permission(request, "helpdesk.summarize_ticket", ticket): ...
    visible = objects_for_user(request, "helpdesk.view_ticket", Ticket)

A subject is the request's user in the *current* tenant: their membership's role, the roles
and permissions of a token issued for that tenant, superuser status. Decisions go through
the backends of ``NETRUN_RBAC_BACKENDS`` and are logged (``rbac_decision``).
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from django.db import models
from django.utils.module_loading import import_string

from netrun.config import SettingsChange
from netrun.core.context import current_tenant_id
from netrun.errors import ConfigurationError
from netrun.rbac._permissions import Decision, PermissionChecker, Subject
from netrun.rbac.conf import RBACConfig, conf
from netrun.rbac.models import Membership, same_tenant

__all__ = [
    "check_permission",
    "get_checker",
    "has_permission",
    "membership_for",
    "objects_for_user",
    "require_permission",
    "reset_checker_on_change",
    "subject_for",
]

_checker: PermissionChecker | None = None
_checker_lock = threading.Lock()


def get_checker() -> PermissionChecker:
    """The checker built from ``NETRUN_RBAC_BACKENDS`` (once; rebuilt when settings change)."""
    global _checker
    if _checker is None:
        with _checker_lock:
            if _checker is None:
                backends = []
                for path in conf.backends:
                    try:
                        backends.append(import_string(path)())
                    except ImportError as error:
                        raise ConfigurationError(
                            f"NETRUN_RBAC_BACKENDS: cannot import {path!r}",
                            setting="NETRUN_RBAC_BACKENDS",
                        ) from error
                _checker = PermissionChecker(backends)
    return _checker


def reset_checker_on_change(change: SettingsChange[Any]) -> None:
    """A :func:`netrun.config.on_reload` hook (see ``apps.py``): new settings, a new checker."""
    global _checker
    if change.config_class is RBACConfig:
        _checker = None


def membership_for(user: Any, tenant_id: object) -> Membership | None:
    """The active membership of ``user`` in ``tenant_id``, or ``None``."""
    if tenant_id is None or not isinstance(user, models.Model) or user.pk is None:
        return None
    membership: Membership | None = (
        Membership.objects.filter(user=user, tenant_id=tenant_id, is_active=True)
        .only("role")
        .first()
    )
    return membership


def subject_for(request_or_user: Any, tenant_id: object = None) -> Subject:
    """The subject of a request (Django or DRF) or a user, in ``tenant_id`` (default: current)."""
    tenant = str(tenant_id) if tenant_id is not None else current_tenant_id()
    request = request_or_user if hasattr(request_or_user, "META") else None
    # Read auth before user: on a DRF request that has not authenticated yet, reading
    # ``auth`` authenticates and may replace ``user``.
    auth = getattr(request, "auth", None) if request is not None else None
    user = getattr(request, "user", None) if request is not None else request_or_user
    if request is not None:
        cached = getattr(request, "_netrun_rbac_subject", None)
        if cached is not None and cached.tenant_id == tenant and cached.user is user:
            return cached  # type: ignore[no-any-return]
    claims: dict[str, Any] = auth if isinstance(auth, dict) else {}
    authenticated = bool(getattr(user, "is_authenticated", False))
    roles: set[str] = set()
    permissions: set[str] = set()
    is_member = False
    if claims and (claims.get("tenant_id") is None or same_tenant(claims["tenant_id"], tenant)):
        roles.update(str(r) for r in claims.get("roles") or ())
        permissions.update(str(p) for p in claims.get("permissions") or ())
        is_member = claims.get("tenant_id") is not None
    membership = membership_for(user, tenant) if authenticated else None
    if membership is not None:
        roles.add(membership.role)
        is_member = True
    user_id = claims.get("sub") or (getattr(user, "pk", None) if authenticated else None)
    subject = Subject(
        user_id=str(user_id) if user_id is not None else None,
        tenant_id=tenant,
        roles=frozenset(roles),
        permissions=frozenset(permissions),
        is_member=is_member and tenant is not None,
        is_superuser=bool(getattr(user, "is_superuser", False)) and authenticated,
        user=user if authenticated else None,
    )
    if request is not None:
        with contextlib.suppress(AttributeError):  # a request object without __dict__
            request._netrun_rbac_subject = subject
    return subject


def check_permission(request_or_user: Any, perm: str, obj: Any = None) -> Decision:
    """Decide ``perm`` (on ``obj``) for the subject in the current tenant; logged."""
    subject = subject_for(request_or_user)
    checker = get_checker()
    if subject.tenant_id is not None and not (subject.is_member or subject.is_superuser):
        decision = Decision(False, perm, None, "not a member of the tenant")
        if checker.log:
            from netrun.rbac._permissions import logger

            logger.info(
                "rbac_decision",
                allowed=False,
                permission=perm,
                backend=None,
                reason=decision.reason,
                subject_user_id=subject.user_id,
                subject_tenant_id=subject.tenant_id,
            )
        return decision
    return checker.check(subject, perm, obj)


def has_permission(request_or_user: Any, perm: str, obj: Any = None) -> bool:
    return check_permission(request_or_user, perm, obj).allowed


def require_permission(request_or_user: Any, perm: str, obj: Any = None) -> Decision:
    """The decision when allowed; ``PermissionDeniedError`` (403) otherwise."""
    decision = check_permission(request_or_user, perm, obj)
    if not decision.allowed:
        from netrun.errors import PermissionDeniedError

        raise PermissionDeniedError(
            f"Permission {perm!r} is required.", permission=perm, reason=decision.reason
        )
    return decision


def objects_for_user(request_or_user: Any, perm: str, queryset: Any) -> models.QuerySet[Any]:
    """The objects of ``queryset`` (or a model) the subject may ``perm`` in the current tenant.

    Everything in the tenant when a role, token or Django permission grants ``perm``
    model-wide; else the objects django-guardian grants one by one; else none. The queryset
    stays tenant-scoped either way.
    """
    if isinstance(queryset, type) and issubclass(queryset, models.Model):
        queryset = queryset._default_manager.all()
    if check_permission(request_or_user, perm).allowed:
        return queryset  # type: ignore[no-any-return]
    subject = subject_for(request_or_user)
    if subject.user is None or not (subject.is_member or subject.is_superuser):
        return queryset.none()  # type: ignore[no-any-return]
    from netrun.core.deps import is_available

    if not is_available("guardian"):
        return queryset.none()  # type: ignore[no-any-return]
    from guardian.shortcuts import get_objects_for_user

    return get_objects_for_user(
        subject.user, perm, klass=queryset, accept_global_perms=False, with_superuser=False
    )
