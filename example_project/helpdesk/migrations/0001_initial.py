from __future__ import annotations

import django.db.models.deletion
from django.db import migrations, models

# NETRUN_TENANT_MODEL may be unset (it defaults to netrun_rbac.Tenant): read it through the helper.
from netrun.rbac.swapping import tenant_model_name


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(tenant_model_name()),
    ]

    operations = [
        migrations.CreateModel(
            name="Ticket",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("title", models.CharField(max_length=200)),
                ("status", models.CharField(default="open", max_length=20)),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "tenant",
                    models.ForeignKey(
                        editable=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=tenant_model_name(),
                    ),
                ),
            ],
            options={
                "ordering": ("-created",),
                "permissions": [("summarize_ticket", "Can summarize a ticket with an LLM")],
                "abstract": False,
            },
        ),
    ]
