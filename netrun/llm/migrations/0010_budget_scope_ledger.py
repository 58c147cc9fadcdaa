"""Ledger rows per budget scope (issue 17 item 1)."""

from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("netrun_llm", "0009_usage_scopes")]

    operations: list[migrations.operations.base.Operation] = []
