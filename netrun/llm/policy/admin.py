"""Admin for tenant LLM policies: provider rules inline, today's and this month's spend as
progress bars; scope budgets (per user, API key or feature tag) with their current window's
spend; the ledger's spend rows (read-only); and price overrides. Every change made here
is in the admin log (each object's "History").

Scoped like every tenant table: superusers see and change every tenant's policy, scope
budgets and spend; other staff only those of the tenants they administer (``netrun.rbac``'s
memberships, see :class:`netrun.rbac.admin.TenantIdScopedAdmin`), and cannot name another
tenant. Without
``netrun.rbac`` installed there is no way to know a staff user's tenant, so only superusers
see these rows. Price overrides are global: staff may view them, superusers only change them.

Tenants are shown by name (the tenant model's, with ``netrun.rbac``), never by their ID.
Registered when Django's admin autodiscovers :mod:`netrun.llm.admin`, which imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.apps import apps
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from netrun.llm.models import (
    BudgetSpend,
    LLMPriceOverride,
    ProviderRule,
    ScopeBudgetRecord,
    TenantPolicyRecord,
    current_spend,
)
from netrun.llm.models.policy import scope_budget_usage
from netrun.llm.policy.ledgers.base import Period, from_micros
from netrun.llm.telemetry.dashboard.charts import format_percent, format_usd
from netrun.llm.telemetry.dashboard.queries import tenant_choices, tenant_ids_named, tenant_labels

__all__ = [
    "BudgetSpendAdmin",
    "LLMPriceOverrideAdmin",
    "ProviderRuleInline",
    "ScopeBudgetRecordAdmin",
    "TenantNameMixin",
    "TenantPolicyRecordAdmin",
    "spend_bar",
]


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
    """``<progress>`` of spent against limit, with the amounts as text (no JavaScript, no CDN).

    Amounts are written for their size (``0.0005``, never ``0.00`` for some spend)."""
    if limit is None:
        return format_html("{} USD (no limit)", format_usd(spent))
    share = 100.0 if limit == 0 else float(spent * 100 / limit)
    return format_html(
        '<progress value="{}" max="100" title="{}"></progress> {} / {} USD',
        min(100, int(share)),
        format_percent(share),
        format_usd(spent),
        format_usd(limit),
    )


@dataclass(frozen=True)
class _Named:
    pk: Any
    label: str

    def __str__(self) -> str:
        return self.label


class TenantNameMixin:
    """A ``tenant`` column that shows each row's tenant by name, one query per page."""

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)  # type: ignore[misc]
        rows = list(changelist.result_list)
        names = tenant_labels(row.tenant_id for row in rows)
        for row in rows:  # on the page's own rows: no state shared between requests
            row.netrun_tenant_name = names.get(row.tenant_id, row.tenant_id)
        return changelist

    #: How a row reads where the admin would print the model's ``__str__`` (its ID).
    row_label = "{tenant}"

    def action_checkbox(self, obj: Any) -> Any:
        # The checkbox's aria-label reads str(obj): give it the tenant's name, not its ID.
        named = _Named(obj.pk, self.row_label.format(tenant=self.tenant(obj), row=obj))
        return super().action_checkbox(named)  # type: ignore[misc]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        # The list shows names, so a search by name (or slug) must find the rows too; the
        # queryset is already limited to the user's tenants.
        found, may_have_duplicates = super().get_search_results(  # type: ignore[misc]
            request, queryset, search_term
        )
        ids = tenant_ids_named(search_term)
        if ids:
            found = found | queryset.filter(tenant_id__in=ids)
        return found, may_have_duplicates

    @admin.display(description="tenant", ordering="tenant_id")
    def tenant(self, obj: Any) -> str:
        name = getattr(obj, "netrun_tenant_name", None)
        if name is None:
            name = tenant_labels([obj.tenant_id]).get(obj.tenant_id, obj.tenant_id)
        return str(name)


class _TenantFormMixin(TenantNameMixin):
    """The change form of a tenant's row: superusers pick the tenant by name (other staff
    already pick among their own tenants, by name), and the page's heading names it."""

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)  # type: ignore[misc]
        field = form.base_fields.get("tenant_id")
        if not request.user.is_superuser or not isinstance(field, forms.CharField):
            return form  # other staff already pick among their tenants, by name
        choices = tenant_choices()
        if not choices:
            return form  # no tenant model or no tenant yet: the ID as text
        current = getattr(obj, "tenant_id", "")
        if current and current not in dict(choices):
            choices.append((current, tenant_labels([current])[current]))
        form.base_fields["tenant_id"] = forms.ChoiceField(
            choices=[("", "---------"), *choices],
            label=field.label,
            help_text="The tenant, by name.",
        )
        return form

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> Any:
        # The page's heading and breadcrumbs name the tenant, not its ID (the model's
        # __str__ cannot: it would query the tenant table each time it is called).
        get_object = self.get_object  # type: ignore[attr-defined]
        record = get_object(request, object_id) if object_id else None
        if record is not None:
            name = self.tenant(record)
            extra_context = {
                "subtitle": self.row_label.format(tenant=name, row=record),
                "tenant_name": name,
                **(extra_context or {}),
            }
        return super().changeform_view(  # type: ignore[misc]
            request, object_id, form_url, extra_context
        )


class ProviderRuleInline(admin.StackedInline):  # type: ignore[type-arg]
    model = ProviderRule
    extra = 0


@admin.register(TenantPolicyRecord)
class TenantPolicyRecordAdmin(_TenantFormMixin, TenantRowsAdmin):
    list_display = ("tenant", "today", "this_month", "fallback_to_local", "updated_at")
    row_label = "LLM policy of {tenant}"
    search_fields = ("tenant_id",)
    list_filter = ("fallback_to_local", "require_reason")
    readonly_fields = ("tenant", "today", "this_month", "updated_at")
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


@admin.register(ScopeBudgetRecord)
class ScopeBudgetRecordAdmin(_TenantFormMixin, TenantRowsAdmin):
    """Budgets per user, API key and feature tag; scoped like the policies (a tenant's staff
    see, add and change only their tenants' rows). A save drops the tenant's cached policy."""

    list_display = ("tenant", "scope", "limit", "period_name", "this_window", "enabled")
    row_label = "{row.scope_label} budget of {tenant}"
    list_filter = ("kind", "period", "enabled")
    search_fields = ("tenant_id", "value")
    fields = (
        "tenant_id",
        "kind",
        "value",
        "limit_usd",
        "period",
        "hours",
        "alert_thresholds",
        "enabled",
    )

    @admin.display(description="scope", ordering="value")
    def scope(self, obj: ScopeBudgetRecord) -> str:
        return obj.scope_label

    @admin.display(description="limit (USD)", ordering="limit_usd")
    def limit(self, obj: ScopeBudgetRecord) -> str:
        return format_usd(obj.limit_usd)

    @admin.display(description="period", ordering="period")
    def period_name(self, obj: ScopeBudgetRecord) -> str:
        return obj.period_label

    @admin.display(description="this window (spent + held)")
    def this_window(self, obj: ScopeBudgetRecord) -> SafeString | str:
        try:
            found = scope_budget_usage(obj)
        except Exception:  # any ledger's own error: the list still shows the budgets
            return "ledger unavailable"
        if found is None:
            return f"each {obj.kind} separately"
        _window, usage = found
        return spend_bar(from_micros(usage.spent + usage.reserved), obj.limit_usd)


@admin.register(BudgetSpend)
class BudgetSpendAdmin(TenantNameMixin, TenantRowsAdmin):
    """Read-only: the ledger writes these rows; editing them by hand would falsify a budget."""

    row_label = "{tenant} {row.period} {row.period_start}"
    list_display = ("tenant", "period", "period_start", "spent", "reserved", "updated_at")
    list_filter = ("period",)
    search_fields = ("tenant_id",)
    date_hierarchy = "period_start"

    @admin.display(description="spent (USD)", ordering="spent_micros")
    def spent(self, obj: BudgetSpend) -> str:
        return format_usd(obj.spent_usd)

    @admin.display(description="held (USD)", ordering="reserved_micros")
    def reserved(self, obj: BudgetSpend) -> str:
        return format_usd(obj.reserved_usd)

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
