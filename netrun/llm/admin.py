"""Admin for tenant LLM policies: provider rules inline, today's and this month's spend as
progress bars; and price overrides. Every change made here is in the admin log (each object's
"History").

Scoped like every tenant table: superusers see and change every tenant's policy and spend;
other staff only those of the tenants they administer (``netrun.rbac``'s memberships, see
:class:`netrun.rbac.admin.TenantIdScopedAdmin`), and cannot name another tenant. Without
``netrun.rbac`` installed there is no way to know a staff user's tenant, so only superusers
see these rows. Price overrides are global: staff may view them, superusers only change them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from netrun.llm.budgets.base import Period, from_micros
from netrun.llm.models import (
    BudgetSpend,
    LLMPriceOverride,
    ProviderRule,
    TenantPolicyRecord,
    current_spend,
)

__all__ = ["BudgetSpendAdmin", "LLMPriceOverrideAdmin", "TenantPolicyRecordAdmin", "spend_bar"]


class _SuperuserWritesAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Only superusers add, change or delete (staff may still view)."""

    def has_add_permission(self, request: HttpRequest, *args: Any, **kwargs: Any) -> bool:
        return request.user.is_superuser and super().has_add_permission(request, *args, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class _SuperuserRowsAdmin(_SuperuserWritesAdmin):
    """Without netrun.rbac no staff user has a tenant: closed to everyone but superusers."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.none()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_view_permission(request, obj)


# INSTALLED_APPS is fixed once the admin is autodiscovered (apps are ready by then).
if TYPE_CHECKING or apps.is_installed("netrun.rbac"):
    from netrun.rbac.admin import TenantIdScopedAdmin as TenantRowsAdmin
else:
    TenantRowsAdmin = _SuperuserRowsAdmin


def spend_bar(spent: Decimal, limit: Decimal | None) -> SafeString:
    """``<progress>`` of spent against limit, with the amounts as text (no JavaScript, no CDN)."""
    if limit is None:
        return format_html("{} USD (no limit)", f"{spent:.2f}")
    percent = 100 if limit == 0 else min(100, int(spent * 100 / limit))
    return format_html(
        '<progress value="{}" max="100" title="{}%"></progress> {} / {} USD',
        percent,
        percent,
        f"{spent:.2f}",
        f"{limit:.2f}",
    )


class ProviderRuleInline(admin.StackedInline):  # type: ignore[type-arg]
    model = ProviderRule
    extra = 0


@admin.register(TenantPolicyRecord)
class TenantPolicyRecordAdmin(TenantRowsAdmin):
    list_display = ("tenant_id", "today", "this_month", "fallback_to_local", "updated_at")
    search_fields = ("tenant_id",)
    list_filter = ("fallback_to_local", "require_reason")
    readonly_fields = ("today", "this_month", "updated_at")
    inlines = (ProviderRuleInline,)

    def _spent(self, obj: TenantPolicyRecord, period: Period) -> Decimal:
        row = current_spend(obj.tenant_id, obj.timezone).get(period)
        return Decimal(0) if row is None else from_micros(row.spent_micros + row.reserved_micros)

    @admin.display(description="today (spent + held)")
    def today(self, obj: TenantPolicyRecord) -> SafeString:
        return spend_bar(self._spent(obj, Period.DAY), obj.daily_budget_usd)

    @admin.display(description="this month (spent + held)")
    def this_month(self, obj: TenantPolicyRecord) -> SafeString:
        return spend_bar(self._spent(obj, Period.MONTH), obj.monthly_budget_usd)


@admin.register(BudgetSpend)
class BudgetSpendAdmin(TenantRowsAdmin):
    """Read-only: the ledger writes these rows; editing them by hand would falsify a budget."""

    list_display = ("tenant_id", "period", "period_start", "spent", "reserved", "updated_at")
    list_filter = ("period",)
    search_fields = ("tenant_id",)
    date_hierarchy = "period_start"

    @admin.display(description="spent (USD)", ordering="spent_micros")
    def spent(self, obj: BudgetSpend) -> Decimal:
        return obj.spent_usd

    @admin.display(description="held (USD)", ordering="reserved_micros")
    def reserved(self, obj: BudgetSpend) -> Decimal:
        return obj.reserved_usd

    def has_add_permission(self, request: HttpRequest, *args: Any, **kwargs: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LLMPriceOverride)
class LLMPriceOverrideAdmin(_SuperuserWritesAdmin):
    """Prices that win over settings and the built-in table; each process applies a change
    within a minute (at once in the process that saved it). A price override applies to every
    tenant: a tenant's staff may view it, not change it."""

    list_display = (
        "provider",
        "model",
        "effective_from",
        "input_per_mtok",
        "output_per_mtok",
        "cache_read_per_mtok",
        "cache_write_per_mtok",
        "long_context_threshold",
        "updated",
    )
    list_filter = ("provider",)
    search_fields = ("model", "note")
    readonly_fields = ("updated",)
    fieldsets = (
        (None, {"fields": ("provider", "model", "effective_from", "note", "updated")}),
        (
            "USD per 1M tokens",
            {
                "fields": (
                    "input_per_mtok",
                    "output_per_mtok",
                    "cache_read_per_mtok",
                    "cache_write_per_mtok",
                )
            },
        ),
        (
            "Long context (prompts above the threshold)",
            {
                "classes": ("collapse",),
                "fields": (
                    "long_context_threshold",
                    "long_context_input_per_mtok",
                    "long_context_output_per_mtok",
                    "long_context_cache_read_per_mtok",
                    "long_context_cache_write_per_mtok",
                ),
            },
        ),
    )
