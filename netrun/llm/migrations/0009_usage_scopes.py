"""Telemetry by user, API key and feature tag (issue 17 item 4)."""

from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("netrun_llm", "0008_model_alias")]

    operations: list[migrations.operations.base.Operation] = []
