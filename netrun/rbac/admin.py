from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin

from netrun.rbac.models import Tenant

if TYPE_CHECKING:
    TenantAdminBase = admin.ModelAdmin[Tenant]
else:  # ModelAdmin is generic only in django-stubs, not at run time.
    TenantAdminBase = admin.ModelAdmin


@admin.register(Tenant)
class TenantAdmin(TenantAdminBase):
    list_display = ("name", "slug", "is_active", "created")
    list_filter = ("is_active",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("id", "created")
