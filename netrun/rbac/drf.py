"""Django REST framework permission classes on the netrun.rbac permission API.

::

    class TicketViewSet(ModelViewSet):
        queryset = Ticket.objects.all()          # scoped to the request's tenant when it runs
        permission_classes = [IsTenantMember, HasRole("agent", "admin"),
                              HasPermission("helpdesk.summarize_ticket")]

Denials raise netrun errors (in the envelope with netrun's exception handler):
``TenantRequiredError`` (400) when the request names no tenant, ``TenantAccessDeniedError``
(403) when the user is no member of the current tenant, ``PermissionDeniedError`` (403) for
a missing role or permission. ``HasObjectPermission`` also
checks objects (django-guardian, and never an object of another tenant).
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from netrun.errors import PermissionDeniedError, TenantAccessDeniedError
from netrun.rbac._permissions import configured_tenant_naming, require_member
from netrun.rbac.access import require_permission, subject_for
from netrun.rbac.models import same_tenant

__all__ = ["HasObjectPermission", "HasPermission", "HasRole", "IsTenantMember"]


def _require_member(request: Request) -> None:
    require_member(subject_for(request), naming=configured_tenant_naming())


class IsTenantMember(BasePermission):
    """The request has a tenant and the user is an active member of it (or a superuser)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        _require_member(request)
        return True

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        tenant_of_obj = getattr(obj, "tenant_id", None)
        if tenant_of_obj is not None and not same_tenant(
            tenant_of_obj, subject_for(request).tenant_id
        ):
            raise TenantAccessDeniedError("This object belongs to another tenant.")
        return True


def HasRole(*roles: str) -> type[BasePermission]:
    """A permission class: member of the current tenant with any of ``roles``."""
    wanted = frozenset(roles)

    class _HasRole(IsTenantMember):
        #: Read by the OpenAPI hook (netrun.rbac.contrib.spectacular).
        required_roles = wanted

        def has_permission(self, request: Request, view: Any) -> bool:
            _require_member(request)
            subject = subject_for(request)
            if not (subject.roles & wanted or subject.is_superuser):
                raise PermissionDeniedError("A role is required.", roles=sorted(wanted))
            return True

    _HasRole.__name__ = _HasRole.__qualname__ = f"HasRole({', '.join(roles)})"
    return _HasRole


def HasPermission(perm: str) -> type[BasePermission]:
    """A permission class: ``perm`` in the current tenant (model level)."""

    class _HasPermission(IsTenantMember):
        #: Read by the OpenAPI hook (netrun.rbac.contrib.spectacular).
        required_permission = perm

        def has_permission(self, request: Request, view: Any) -> bool:
            _require_member(request)
            require_permission(request, perm)
            return True

    _HasPermission.__name__ = _HasPermission.__qualname__ = f"HasPermission({perm})"
    return _HasPermission


def HasObjectPermission(perm: str) -> type[BasePermission]:
    """A permission class: membership, then ``perm`` on each object (roles or guardian)."""

    class _HasObjectPermission(IsTenantMember):
        def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
            super().has_object_permission(request, view, obj)
            require_permission(request, perm, obj)
            return True

    _HasObjectPermission.__name__ = _HasObjectPermission.__qualname__ = (
        f"HasObjectPermission({perm})"
    )
    return _HasObjectPermission
