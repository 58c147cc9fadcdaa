"""Admin for budget alerts: the history of thresholds that fired, read-only.

Scoped like the other tenant tables of :mod:`netrun.llm.policy.admin` (superusers see every
tenant's alerts, other staff those of the tenants they administer); rows are written by the
alert claims and the webhook task only, so nobody adds, changes or deletes them here.
Registered when Django's admin autodiscovers :mod:`netrun.llm.admin`, which imports this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib import admin
from django.http import HttpRequest

from netrun.llm.models import BudgetAlert
from netrun.llm.policy.admin import TenantNameMixin
from netrun.llm.telemetry.dashboard.charts import format_usd

# The scoping of the policy admin's tables (netrun.llm.policy.admin): by membership with
# netrun.rbac, superusers only without it.
if TYPE_CHECKING or apps.is_installed("netrun.rbac"):
    from netrun.rbac.admin import TenantIdScopedAdmin as TenantRowsAdmin
else:
    from netrun.llm.policy.admin import _SuperuserRowsAdmin as TenantRowsAdmin

__all__ = ["BudgetAlertAdmin"]


@admin.register(BudgetAlert)
class BudgetAlertAdmin(TenantNameMixin, TenantRowsAdmin):
    """Read-only: a row is the proof an alert fired (and was delivered) once."""

    row_label = "{tenant} {row.scope} {row.window_key} {row.threshold}%"
    list_display = (
        "fired_at",
        "tenant",
        "scope",
        "period",
        "period_start",
        "percent",
        "spent",
        "limit",
        "delivery",
        "attempts",
    )
    list_filter = ("period", "threshold", "delivery")
    search_fields = ("tenant_id", "scope")
    date_hierarchy = "fired_at"
    readonly_fields = ("last_error", "delivered_at")

    @admin.display(description="threshold", ordering="threshold")
    def percent(self, obj: BudgetAlert) -> str:
        return f"{obj.threshold}%"

    @admin.display(description="spent (USD)", ordering="spent_micros")
    def spent(self, obj: BudgetAlert) -> str:
        return format_usd(obj.spent_usd)

    @admin.display(description="limit (USD)", ordering="limit_micros")
    def limit(self, obj: BudgetAlert) -> str:
        return format_usd(obj.limit_usd)

    def has_add_permission(self, request: HttpRequest, *args: Any, **kwargs: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
