"""One process of the alias test: ``setup``, ``serve``, or ``save <name> <targets> <enabled>``.

``serve`` answers each line on stdin with the JSON of ``current_aliases`` over the settings'
aliases and the number of queries that lookup ran (0: answered from the process's cache).
"""

from __future__ import annotations

import json
import sys

import django

django.setup()

from django.core.management import call_command  # noqa: E402 - after setup()
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from netrun.config import get_settings  # noqa: E402
from netrun.llm.conf import LLMConfig  # noqa: E402
from netrun.llm.models import ModelAlias  # noqa: E402
from netrun.llm.resilience.django import current_aliases  # noqa: E402


def serve() -> None:
    settings_aliases = get_settings(LLMConfig).model_aliases
    print("ready", flush=True)
    for _ in sys.stdin:
        with CaptureQueriesContext(connection) as queries:
            aliases = current_aliases(settings_aliases)
        print(json.dumps([aliases, len(queries)], sort_keys=True), flush=True)


def save(name: str, targets: str, enabled: str) -> None:
    ModelAlias.objects.update_or_create(
        name=name, defaults={"targets": targets.split(","), "enabled": enabled == "on"}
    )


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "setup":
        call_command("migrate", verbosity=0)
    elif command == "serve":
        serve()
    else:
        save(*sys.argv[2:5])
