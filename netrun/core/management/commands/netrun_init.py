"""``manage.py netrun_init``: ``netrun init`` for this project (its settings file by default)."""

from __future__ import annotations

import importlib.util
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from netrun.core._starter import parse_apps, settings_block, urls_module, write_block


class Command(BaseCommand):
    help = (
        "Print the netrun settings block and urls.py for the apps chosen; with --write, "
        "append the block to the settings file (refused when it already has one)."
    )
    requires_system_checks: list[str] = []  # it prints text; the project may not be set up yet

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--apps",
            help="Comma-separated apps (auth,rbac,llm,...), 'all', or 'default' (the common stack).",
        )
        parser.add_argument(
            "--write",
            nargs="?",
            const="",
            metavar="PATH",
            help=(
                "Append the block to PATH (default: this project's settings file), or create "
                "PATH (a netrun_settings.py to import at the end of settings.py)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            chosen = parse_apps(options["apps"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        if options["write"] is None:
            self.stdout.write(
                f"# settings.py\n{settings_block(chosen)}\n# urls.py\n{urls_module(chosen)}",
                ending="",
            )
            return
        target = Path(options["write"]) if options["write"] else _settings_file()
        try:
            created = write_block(target, chosen)
        except (FileExistsError, FileNotFoundError) as error:
            raise CommandError(str(error)) from error
        if created:
            self.stderr.write(
                f"Created {target}. Import it at the end of settings.py: "
                f"from .{target.stem} import *  # noqa: F403"
            )
        else:
            self.stderr.write(f"Appended the netrun settings block to {target}.")
        self.stdout.write(f"Then make urls.py:\n{urls_module(chosen)}", ending="")


def _settings_file() -> Path:
    module = settings.SETTINGS_MODULE
    spec = importlib.util.find_spec(module) if module else None
    if spec is None or spec.origin is None:
        raise CommandError("No settings module file found: pass --write PATH.")
    return Path(spec.origin)
