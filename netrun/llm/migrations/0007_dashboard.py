# The spend dashboard's place in the admin: a proxy model, no table.

from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("netrun_llm", "0006_row_level_security")]

    operations = [
        migrations.CreateModel(
            name="Dashboard",
            fields=[],
            options={
                "verbose_name": "spend dashboard",
                "verbose_name_plural": "spend dashboard",
                "proxy": True,
                "default_permissions": (),
                "indexes": [],
                "constraints": [],
            },
            bases=("netrun_llm.llmusagerecord",),
        ),
    ]
