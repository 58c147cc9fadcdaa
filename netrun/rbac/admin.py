"""Admin for tenants, memberships and roles, and :class:`TenantScopedAdmin` for your models.

Superusers see every tenant (through ``all_tenants``, logged). Other staff see the tenant
bound for the request (``TenantMiddleware``) or, with none bound, the tenants they are active
members of, and nothing else; their writes run inside the row's tenant.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from netrun.core.context import current_tenant_id, tenant_context
from netrun.errors import TenantAccessDeniedError
from netrun.rbac.models import Membership, Role, Tenant, same_tenant
from netrun.rbac.scope import unscoped

__all__ = [
    "MembershipAdmin",
    "RoleAdmin",
    "TenantAdmin",
    "TenantIdScopedAdmin",
    "TenantScopedAdmin",
    "member_tenant_ids",
    "render_now",
]

if TYPE_CHECKING:
    ModelAdminBase = admin.ModelAdmin[Any]
else:  # ModelAdmin is generic only in django-stubs, not at run time.
    ModelAdminBase = admin.ModelAdmin


def member_tenant_ids(request: HttpRequest) -> list[Any]:
    """The tenants the request's user may administer: the bound one, else their memberships."""
    bound = current_tenant_id()
    user = request.user
    ids = list(
        Membership.objects.filter(
            user_id=user.pk, is_active=True, tenant__is_active=True
        ).values_list("tenant_id", flat=True)
    )
    if bound is not None:
        return [t for t in ids if same_tenant(t, bound)]
    return ids


def render_now(response: Any) -> Any:
    """Render a ``TemplateResponse`` at once, while the caller's tenant context still holds.

    The admin returns its pages unrendered; Django renders them after the view returned, when
    the view's tenant context has exited and a lookup of a tenant-scoped row (the raw-ID
    widget's label, a related object's ``__str__``) would find no tenant bound.
    """
    render = getattr(response, "render", None)
    if render is not None and not getattr(response, "is_rendered", True):
        render()
    return response


class _TenantFilteredAdmin(ModelAdminBase):
    tenant_lookup = "tenant_id__in"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return cast(
            "QuerySet[Any]", queryset.filter(**{self.tenant_lookup: member_tenant_ids(request)})
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "tenant" and not request.user.is_superuser:
            kwargs["queryset"] = Tenant.objects.filter(pk__in=member_tenant_ids(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Tenant)
class TenantAdmin(_TenantFilteredAdmin):
    list_display = ("name", "slug", "is_active", "created")
    list_filter = ("is_active",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("id", "created")
    tenant_lookup = "pk__in"


@admin.register(Membership)
class MembershipAdmin(_TenantFilteredAdmin):
    list_display = ("user", "tenant", "role", "is_active", "created")
    list_filter = ("is_active", "role")
    search_fields = ("user__username", "tenant__slug")
    raw_id_fields = ("user",)


@admin.register(Role)
class RoleAdmin(_TenantFilteredAdmin):
    list_display = ("name", "tenant", "description")
    search_fields = ("name", "tenant__slug")


class TenantIdScopedAdmin(ModelAdminBase):
    """``ModelAdmin`` for a model that names its tenant in a plain field (``tenant_id``).

    For tables keyed by a tenant ID string rather than a ``TenantScopedModel`` foreign key,
    such as ``netrun.llm``'s policies, spend and usage. Superusers see and change every row.
    Other staff see the rows of the tenants they administer (:func:`member_tenant_ids`) and
    nothing else: the tenant field offers only those tenants, a save naming another tenant is
    refused, and a row without a tenant (the field empty) is global, for superusers only.
    """

    #: The model field that holds the tenant ID.
    tenant_id_field = "tenant_id"

    def tenant_ids(self, request: HttpRequest) -> list[str] | None:
        """The tenant IDs this user administers, ``None`` for every tenant (superusers)."""
        if request.user.is_superuser:
            return None
        return [str(tenant) for tenant in member_tenant_ids(request)]

    def owns(self, request: HttpRequest, obj: Any) -> bool:
        """Whether the user may see and change ``obj`` (``None``: the model as a whole)."""
        allowed = self.tenant_ids(request)
        if allowed is None or obj is None:
            return True
        value = getattr(obj, self.tenant_id_field, None)
        return bool(value) and any(same_tenant(value, tenant) for tenant in allowed)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        allowed = self.tenant_ids(request)
        if allowed is None:
            return queryset
        # Stored IDs are strings: match a UUID in its hyphenated and its hex spelling.
        spellings = {*allowed, *(_hex(tenant) for tenant in allowed)} - {""}
        return cast(
            "QuerySet[Any]",
            queryset.filter(**{f"{self.tenant_id_field}__in": sorted(spellings)}),
        )

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        allowed = self.tenant_ids(request)
        if db_field.name != self.tenant_id_field or allowed is None:
            return super().formfield_for_dbfield(db_field, request, **kwargs)
        names = {
            str(pk): name
            for pk, name in Tenant.objects.filter(pk__in=allowed).values_list("pk", "name")
        }
        return forms.ChoiceField(
            choices=[(tenant, names.get(tenant, tenant)) for tenant in allowed],
            label=db_field.verbose_name.capitalize(),
            help_text="The tenants you administer.",
        )

    def has_add_permission(self, request: HttpRequest, *args: Any, **kwargs: Any) -> bool:
        allowed = self.tenant_ids(request)
        return super().has_add_permission(request, *args, **kwargs) and allowed != []

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self.owns(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self.owns(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self.owns(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # The form offers only the user's tenants; this holds for any form a subclass builds.
        if not self.owns(request, obj):
            raise PermissionDenied("This row belongs to another tenant.")
        super().save_model(request, obj, form, change)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        if any(not self.owns(request, obj) for obj in queryset):
            raise PermissionDenied("Some of these rows belong to another tenant.")
        super().delete_queryset(request, queryset)


def _hex(tenant: str) -> str:
    try:
        return uuid.UUID(tenant).hex
    except ValueError:
        return ""


class TenantScopedAdmin(ModelAdminBase):
    """``ModelAdmin`` for a ``TenantScopedModel``: each staff user sees their tenant only."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        if current_tenant_id() is not None:
            return super().get_queryset(request)
        model: Any = self.model
        if request.user.is_superuser:
            queryset = model.all_tenants.reason("superuser in the admin")
        else:
            queryset = model.all_tenants.reason("staff in the admin, limited to their tenants")
            queryset = queryset.filter(tenant_id__in=member_tenant_ids(request))
        ordering = self.get_ordering(request)
        return cast("QuerySet[Any]", queryset.order_by(*ordering) if ordering else queryset)

    @contextmanager
    def _tenant_of(self, request: HttpRequest, obj: Any) -> Iterator[None]:
        tenant = getattr(obj, "tenant_id", None)
        if tenant is None:
            allowed = member_tenant_ids(request)
            bound = current_tenant_id()
            if bound is None and len(allowed) != 1:
                raise TenantAccessDeniedError(
                    "Pick a tenant (X-Tenant-ID) to add rows in the admin."
                )
            tenant = bound or allowed[0]
        elif not request.user.is_superuser and not any(
            same_tenant(tenant, t) for t in member_tenant_ids(request)
        ):
            raise TenantAccessDeniedError("This object belongs to another tenant.")
        with tenant_context(str(tenant)):
            yield

    @contextmanager
    def _tenant_of_id(self, request: HttpRequest, object_id: str | None) -> Iterator[None]:
        if current_tenant_id() is not None:
            yield
            return
        obj = self.get_object(request, object_id) if object_id else None
        if object_id and obj is None:
            yield  # the admin answers "does not exist" by itself
            return
        with self._tenant_of(request, obj):
            yield

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> Any:
        # The form reads related managers (many-to-many fields) and the raw-ID widget looks
        # its row up while the template renders: both run in the row's tenant.
        with self._tenant_of_id(request, object_id):
            return render_now(super().changeform_view(request, object_id, form_url, extra_context))

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> Any:
        with self._tenant_of_id(request, object_id):
            return render_now(super().delete_view(request, object_id, extra_context))

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> Any:
        with self._tenant_of_id(request, object_id):
            return render_now(super().history_view(request, object_id, extra_context))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with self._tenant_of(request, obj):
            super().save_model(request, obj, form, change)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with self._tenant_of(request, obj):
            super().delete_model(request, obj)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        # The objects are already limited to what this user may see; their related rows are
        # in the same tenants (cross-tenant links are refused on write).
        with unscoped(reason="admin delete confirmation within the user's tenants"):
            return super().get_deleted_objects(objs, request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        # The queryset is already limited to what this user may see.
        with unscoped(reason="admin bulk delete within the user's tenants"):
            super().delete_queryset(request, queryset)
