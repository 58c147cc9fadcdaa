"""The ``netrun`` console script."""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from netrun.core._version import __version__

__all__ = ["COMMANDS_GROUP", "main", "project_options", "setup_django"]

#: Entry-point group through which higher-level packages add ``netrun`` subcommands
#: (``netrun dogfood``): netrun.core is level 0 and never imports them itself.
COMMANDS_GROUP = "netrun.commands"

_F = TypeVar("_F", bound=Callable[..., object])


class _NetrunGroup(click.Group):
    """A group whose extra commands are entry points, loaded only when asked for."""

    def _entry_points(self) -> dict[str, importlib.metadata.EntryPoint]:
        return {ep.name: ep for ep in importlib.metadata.entry_points(group=COMMANDS_GROUP)}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._entry_points()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and (entry_point := self._entry_points().get(cmd_name)):
            loaded = entry_point.load()
            command = loaded if isinstance(loaded, click.Command) else None
        return command


def project_options(command: _F) -> _F:
    """``--settings`` and ``--pythonpath``: the options of a subcommand that loads a project."""
    command = click.option(
        "--pythonpath",
        default=".",
        show_default=True,
        type=click.Path(file_okay=False),
        help="Directory added to sys.path so the settings module and packages import.",
    )(command)
    return click.option(
        "--settings",
        metavar="MODULE",
        help="Django settings module of the project (default: $DJANGO_SETTINGS_MODULE).",
    )(command)


def setup_django() -> None:
    """``django.setup()`` for a subcommand: settings that fail to load are a usage error."""
    import django

    try:
        django.setup()
    except Exception as error:
        raise click.ClickException(
            f"cannot load Django settings {os.environ['DJANGO_SETTINGS_MODULE']!r}: "
            f"{type(error).__name__}: {error}{_missing_extra_hint(error)}"
        ) from error


def _missing_extra_hint(error: Exception) -> str:
    """For a netrun app in INSTALLED_APPS whose extra is not installed: which one to install."""
    missing = error.name if isinstance(error, ModuleNotFoundError) else None
    if not missing or missing.split(".")[0] == "netrun":
        return ""
    # The innermost netrun module being imported when the dependency was missed.
    package = None
    traceback = error.__traceback__
    while traceback is not None:
        name = traceback.tb_frame.f_globals.get("__name__", "")
        if isinstance(name, str) and name.startswith("netrun."):
            package = ".".join(name.split(".")[:2])
        traceback = traceback.tb_next
    if package is None:
        return ""
    from netrun.core.deps import extra_for

    extra = extra_for(missing, package=package)
    fix = f'pip install "netrun[{extra}]"' if extra else f"pip install {missing.split('.')[0]}"
    return f" ({package} is in INSTALLED_APPS and needs it: {fix})"


@click.group(cls=_NetrunGroup)
@click.version_option(__version__, prog_name="netrun")
def main() -> None:
    """Netrun: the Django-ecosystem suite for multi-tenant SaaS products that use LLMs."""


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@project_options
@click.option("--no-checks", is_flag=True, help="Do not run Django's system checks.")
def doctor(as_json: bool, settings: str | None, pythonpath: str, no_checks: bool) -> None:
    """Report installed apps, optional dependencies, enabled features and failing checks.

    Exits with status 1 when a package fails to import or a system check reports an error.
    """
    from netrun.core.streams import stdout_to_stderr

    if settings:
        os.environ["DJANGO_SETTINGS_MODULE"] = settings
    # The project's logging may write to stdout: the report keeps stdout to itself.
    with stdout_to_stderr():
        if os.environ.get("DJANGO_SETTINGS_MODULE"):
            sys.path.insert(0, os.path.abspath(pythonpath))
            setup_django()

        from netrun.core._doctor import build_report, render_text

        report = build_report(run_checks=not no_checks)
    click.echo(json.dumps(report, indent=2) if as_json else render_text(report))
    if not report["ok"]:
        sys.exit(1)


@main.command()
@click.option(
    "--apps",
    metavar="NAMES",
    help="Comma-separated apps (auth,rbac,llm,...), 'all', or 'default' (the common stack).",
)
@click.option(
    "--write",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    help=(
        "Append the settings block to this settings file, or create it (a netrun_settings.py "
        "to import at the end of settings.py); refused when the file already has one."
    ),
)
def init(apps: str | None, target: Path | None) -> None:
    """Print the settings block and the urls.py of a project for the apps chosen.

    The default selection is the common stack that docs/getting-started.md shows.
    """
    from netrun.core._starter import parse_apps, settings_block, urls_module, write_block

    try:
        chosen = parse_apps(apps)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--apps") from error
    if target is None:
        click.echo(
            f"# settings.py\n{settings_block(chosen)}\n# urls.py\n{urls_module(chosen)}", nl=False
        )
        return
    try:
        created = write_block(target, chosen)
    except (FileExistsError, FileNotFoundError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"{'Created' if created else 'Appended the netrun settings block to'} {target}.", err=True
    )
    if created:
        click.echo(
            f"Import it at the end of settings.py: from .{target.stem} import *  # noqa: F403",
            err=True,
        )
    click.echo(f"Then make urls.py:\n{urls_module(chosen)}", nl=False)
