"""``manage.py netrun_env``: the ``netrun-env`` CLI inside a Django project.

``manage.py netrun_env validate .env --schema myproject.conf:AppConfig`` takes the same
arguments as ``netrun-env`` and exits with the same status.
"""

from __future__ import annotations

import argparse
from typing import Any

import click
from django.core.management.base import BaseCommand, CommandError, CommandParser

from netrun.env.cli import main


class Command(BaseCommand):
    help = "Validate, compare and generate .env files (see `netrun-env --help`)."
    # It checks .env files before the project runs: the project's own system checks (which
    # would also log to stdout beside a --format json document) are not its business.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("arguments", nargs=argparse.REMAINDER, help="netrun-env arguments")

    def handle(self, *args: Any, **options: Any) -> None:
        arguments: list[str] = options["arguments"]
        try:
            status = main.main(
                args=arguments, prog_name="manage.py netrun_env", standalone_mode=False
            )
        except click.ClickException as error:
            raise CommandError(error.format_message(), returncode=error.exit_code) from error
        if isinstance(status, int) and status != 0:
            raise CommandError("netrun_env found problems", returncode=status)
