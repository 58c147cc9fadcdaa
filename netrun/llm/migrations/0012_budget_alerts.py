"""Budget alerts that fire once (issue 17 item 2)."""

from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("netrun_llm", "0011_scope_budgets")]

    operations: list[migrations.operations.base.Operation] = []
