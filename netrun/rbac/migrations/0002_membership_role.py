from __future__ import annotations

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# NETRUN_TENANT_MODEL may be unset (it defaults to netrun_rbac.Tenant): read it through the helper.
from netrun.rbac.swapping import tenant_model_name


class Migration(migrations.Migration):
    dependencies = [
        ("netrun_rbac", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        migrations.swappable_dependency(tenant_model_name()),
    ]

    operations = [
        migrations.CreateModel(
            name="Membership",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("role", models.CharField(default="member", max_length=100)),
                ("is_active", models.BooleanField(default=True)),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "tenant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="netrun_memberships",
                        to=tenant_model_name(),
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="netrun_memberships",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "membership",
                "verbose_name_plural": "memberships",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("user", "tenant"), name="netrun_rbac_one_membership"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Role",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                ("permissions", models.JSONField(blank=True, default=list)),
                ("description", models.CharField(blank=True, max_length=300)),
                (
                    "tenant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="netrun_roles",
                        to=tenant_model_name(),
                    ),
                ),
            ],
            options={
                "verbose_name": "role",
                "verbose_name_plural": "roles",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("tenant", "name"), name="netrun_rbac_role_per_tenant"
                    )
                ],
            },
        ),
    ]
