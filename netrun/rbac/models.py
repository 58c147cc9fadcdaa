"""Tenancy models of ``netrun.rbac``: tenants, memberships, custom roles, and the abstract
:class:`TenantScopedModel` every tenant-owned model inherits."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from netrun.errors import TenantAccessDeniedError, TenantContextMissingError
from netrun.rbac.managers import AllTenantsManager, TenantScopedManager, tenant_attname
from netrun.rbac.scope import is_unscoped, require_tenant, same_tenant
from netrun.rbac.swapping import tenant_model_name

__all__ = ["Membership", "Role", "Tenant", "TenantScopedModel", "same_tenant"]


class Tenant(models.Model):
    """A customer organisation: every tenant-scoped row belongs to exactly one.

    The default tenant model (``NETRUN_TENANT_MODEL = "netrun_rbac.Tenant"``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=63, unique=True)
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)
        verbose_name = "tenant"
        verbose_name_plural = "tenants"
        swappable = "NETRUN_TENANT_MODEL"

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's membership of a tenant, with one role."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="netrun_memberships"
    )
    tenant = models.ForeignKey(
        tenant_model_name(), on_delete=models.CASCADE, related_name="netrun_memberships"
    )
    role = models.CharField(max_length=100, default="member")
    is_active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "membership"
        verbose_name_plural = "memberships"
        constraints = [
            models.UniqueConstraint(fields=("user", "tenant"), name="netrun_rbac_one_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant} as {self.role}"


class Role(models.Model):
    """A custom role a tenant defines for itself: a name and the permissions it grants."""

    tenant = models.ForeignKey(
        tenant_model_name(), on_delete=models.CASCADE, related_name="netrun_roles"
    )
    name = models.CharField(max_length=100)
    permissions = models.JSONField(default=list, blank=True)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "role"
        verbose_name_plural = "roles"
        constraints = [
            models.UniqueConstraint(fields=("tenant", "name"), name="netrun_rbac_role_per_tenant")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.tenant})"


class TenantScopedModel(models.Model):
    """Abstract base of tenant-owned models: the ORM wall.

    * ``objects`` (default and base manager) sees the current tenant's rows only, and raises
      ``TenantContextMissingError`` when no tenant is bound;
    * creating sets ``tenant`` from the context; saving, updating or deleting another
      tenant's row raises ``TenantAccessDeniedError``, and so does pointing a foreign key
      (or a many-to-many link) at another tenant's row;
    * ``Model.all_tenants`` and ``with unscoped(reason=...)`` are the logged ways out.

    ``tenant_rls`` marks the table for PostgreSQL row-level security (the RLS operations read
    it through :func:`netrun.rbac.registry.tenant_scoped_models`).
    """

    tenant = models.ForeignKey(
        tenant_model_name(),
        on_delete=models.CASCADE,
        related_name="+",
        editable=False,
        db_index=True,
    )

    objects: ClassVar[TenantScopedManager[Any]] = TenantScopedManager()
    all_tenants: ClassVar[AllTenantsManager[Any]] = AllTenantsManager()

    #: The foreign key to the tenant model.
    tenant_field_name: ClassVar[str] = "tenant"
    #: Whether row-level security policies are generated for this table.
    tenant_rls: ClassVar[bool] = True

    class Meta:
        abstract = True
        # Forward relations (comment.ticket), refresh_from_db and cascades use the base
        # manager: scoped too, so no descriptor reads across tenants.
        base_manager_name = "objects"

    # ----------------------------------------------------------------- writes

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._netrun_check_write()
        self._netrun_check_relations()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        self._netrun_check_write(adding=False)
        return super().delete(*args, **kwargs)

    # ----------------------------------------------------------------- checks

    def _netrun_check_write(self, *, adding: bool | None = None) -> None:
        attname = tenant_attname(type(self))
        current = getattr(self, attname)
        label = self._meta.label
        if is_unscoped():
            if current is None:
                raise TenantContextMissingError(
                    f"{label} created inside unscoped() needs an explicit tenant", model=label
                )
            return
        tenant_id = require_tenant(label)
        if adding is None:
            adding = self._state.adding
        if current is None and adding:
            setattr(self, attname, tenant_id)
        elif not same_tenant(current, tenant_id):
            raise TenantAccessDeniedError(
                f"This {label} belongs to another tenant.", model=label, id=str(self.pk)
            )

    def _netrun_check_relations(self) -> None:
        own = getattr(self, tenant_attname(type(self)))
        for field in self._meta.concrete_fields:
            related = field.related_model
            if not (
                field.many_to_one
                and isinstance(related, type)
                and issubclass(related, TenantScopedModel)
            ):
                continue
            if field.name == self.tenant_field_name:
                continue
            value = getattr(self, field.attname)
            if value is None:
                continue
            # Always asked of the database: a cached instance could be forged.
            target_field = field.target_field.attname  # type: ignore[attr-defined]
            row = (
                models.QuerySet(related)
                .filter(**{target_field: value})
                .values_list(tenant_attname(related), flat=True)
                .first()
            )
            if row is not None and not same_tenant(row, own):
                raise TenantAccessDeniedError(
                    f"{self._meta.label}.{field.name} points at another tenant's "
                    f"{related._meta.label}.",
                    model=self._meta.label,
                    field=field.name,
                )
