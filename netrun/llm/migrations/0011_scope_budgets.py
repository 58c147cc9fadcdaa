"""Budgets per user, API key and feature tag (issue 17 item 1)."""

from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("netrun_llm", "0010_budget_scope_ledger")]

    operations: list[migrations.operations.base.Operation] = []
