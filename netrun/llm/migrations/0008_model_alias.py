# Model aliases and routing groups edited in the admin (issue 17, resilience).

from __future__ import annotations

import django.core.validators
from django.db import migrations, models

import netrun.llm.models.routing


class Migration(migrations.Migration):
    dependencies = [("netrun_llm", "0007_dashboard")]

    operations = [
        migrations.CreateModel(
            name="ModelAlias",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "name",
                    models.CharField(
                        help_text='What callers pass as model=, e.g. "fast".',
                        max_length=100,
                        unique=True,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^\\S+$", "A name without spaces."
                            )
                        ],
                    ),
                ),
                (
                    "targets",
                    models.JSONField(
                        default=list,
                        help_text="The models tried in order: provider/model, or a bare model "
                        "name.",
                        validators=[netrun.llm.models.routing.validate_targets],
                    ),
                ),
                ("enabled", models.BooleanField(default=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "verbose_name": "model alias",
                "verbose_name_plural": "model aliases and routing groups",
                "db_table": "netrun_llm_model_alias",
                "ordering": ("name",),
            },
        ),
    ]
