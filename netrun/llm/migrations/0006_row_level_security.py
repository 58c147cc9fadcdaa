"""Row-level security on the LLM app's tenant tables, where the project migrates through
netrun's PostgreSQL backend (``netrun.rbac.db.backends.postgresql``); a no-op elsewhere.

Each table gets the tenant policy on ``tenant_id`` and its restrictive floor; reports over
every tenant (rollup rebuilds, the dashboard's all-tenant views) run inside
``netrun.rbac.db.cross_tenant()``. ``ProviderRule`` (reached through its policy),
``LLMPriceOverride`` (global prices) and ``LLMLatencyHistogram`` (per day, over tenants) hold
no tenant column and are not covered.
"""

from __future__ import annotations

from django.db import migrations, models

from netrun.rbac.db.operations import EnableRLS

_TABLES = (
    "TenantPolicyRecord",
    "BudgetAccount",
    "BudgetSpend",
    "BudgetReservation",
    "LLMUsageRecord",
    "LLMUsageHourly",
)


class Migration(migrations.Migration):
    dependencies = [("netrun_llm", "0004_usage_rollups")]

    operations = [
        migrations.AddIndex(
            model_name="llmusagehourly",
            index=models.Index(fields=["tenant_id", "hour"], name="netrun_llm_hourly_tenant_idx"),
        ),
        *(EnableRLS(name, tenant_field="tenant_id", rls_backend_only=True) for name in _TABLES),
    ]
