"""Ledger rows per budget scope (issue 17 item 1).

``BudgetSpend.period`` holds the window's period key, which for a user, API key or tag
budget names its scope (``user:42/day``), so it widens from 8 to 200 characters; a hold's
``windows`` list can name many scopes, so it becomes text. Neither rewrites a PostgreSQL
table, and every existing row (``day``, ``month``) keeps its meaning.
"""

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("netrun_llm", "0009_usage_scopes")]

    operations: list[migrations.operations.base.Operation] = [
        migrations.AlterField(
            model_name="budgetreservation",
            name="windows",
            field=models.TextField(),
        ),
        migrations.AlterField(
            model_name="budgetspend",
            name="period",
            field=models.CharField(max_length=200),
        ),
    ]
