"""The ``netrun-env`` console script (also ``manage.py netrun_env``).

::

    netrun-env validate [.env] [--schema module:ConfigClass | --example .env.example]
                        [--format text|json|sarif] [--strict] [--min-secret-length N]
    netrun-env diff .env .env.example
    netrun-env generate-example module:ConfigClass [-o .env.example]

Exit status: 0 when clean, 1 when the check found problems, 2 for usage errors (a bad option,
an unloadable schema). Standard output carries the report (or the generated file) alone: log
lines, the loaded schema module's included, go to standard error, so ``--format json`` and
``--format sarif`` output parses.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from netrun.core import __version__
from netrun.core.streams import stdout_to_stderr
from netrun.env._generate import generate_example
from netrun.env._parser import EnvFile, parse_env_file
from netrun.env._report import render
from netrun.env._validate import DEFAULT_MIN_SECRET_LENGTH, Finding, Report, validate_env
from netrun.env.schema import SchemaError, Variable, load_config_class, schema_from_class
from netrun.env.schema import schema_from_example as _schema_from_example
from netrun.logging import get_logger

__all__ = ["main"]

logger = get_logger(__name__)


def _read(path: str) -> EnvFile:
    try:
        return parse_env_file(path)
    except OSError as error:
        raise click.UsageError(f"cannot read {path}: {error.strerror or error}") from error


def _schema(schema: str | None, example: str | None) -> list[Variable] | None:
    if schema and example:
        raise click.UsageError("use --schema or --example, not both")
    if schema:
        try:
            return schema_from_class(load_config_class(schema))
        except SchemaError as error:
            raise click.BadParameter(str(error), param_hint="--schema") from error
    if example:
        return _schema_from_example(_read(example))
    return None


@click.group()
@click.version_option(__version__, prog_name="netrun-env")
def main() -> None:
    """Validate, compare and generate .env files."""


@main.command()
@click.argument("env_file", default=".env", type=click.Path(dir_okay=False))
@click.option("--schema", metavar="MODULE:CLASS", help="Settings class the file must satisfy.")
@click.option(
    "--example", type=click.Path(dir_okay=False), help="Example file listing the variables."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
)
@click.option("--strict", is_flag=True, help="Warnings (unknown variables...) fail too.")
@click.option("--allow-unknown", is_flag=True, help="Do not report variables the schema lacks.")
@click.option(
    "--min-secret-length", type=click.IntRange(min=1), default=DEFAULT_MIN_SECRET_LENGTH,
    show_default=True, help="Secrets shorter than this are weak.",
)  # fmt: skip
@click.pass_context
def validate(
    ctx: click.Context,
    env_file: str,
    schema: str | None,
    example: str | None,
    output_format: str,
    strict: bool,
    allow_unknown: bool,
    min_secret_length: int,
) -> None:
    """Check ENV_FILE (default .env): required variables, types, unknown names, weak secrets.

    Messages name the file, line and variable, never a value.
    """
    with stdout_to_stderr():
        variables = _schema(schema, example)
        if Path(env_file).is_file():
            report = validate_env(
                _read(env_file),
                variables,
                min_secret_length=min_secret_length,
                allow_unknown=allow_unknown,
            )
        else:
            missing = Finding("missing", "error", None, "file not found", env_file)
            report = Report(env_file, [missing])
        ok = report.ok(strict=strict)
        logger.info(
            "env_validated",
            file=env_file,
            result="ok" if ok else "failed",
            errors=len(report.errors),
            warnings=len(report.warnings),
        )
    click.echo(render([report], output_format, strict=strict))
    ctx.exit(0 if ok else 1)


@main.command()
@click.argument("env_file", type=click.Path(dir_okay=False))
@click.argument("example_file", type=click.Path(dir_okay=False))
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text",
    show_default=True,
)  # fmt: skip
@click.pass_context
def diff(ctx: click.Context, env_file: str, example_file: str, output_format: str) -> None:
    """List variables EXAMPLE_FILE has that ENV_FILE lacks (missing), and the reverse (extra).

    Exits 1 when the two files do not define the same variables.
    """
    with stdout_to_stderr():
        env_keys = set(_read(env_file).values())
        example_keys = set(_read(example_file).values())
    missing, extra = sorted(example_keys - env_keys), sorted(env_keys - example_keys)
    if output_format == "json":
        click.echo(json.dumps({"missing": missing, "extra": extra}, indent=2))
    else:
        for key in missing:
            click.echo(f"missing  {key}  (in {example_file}, not in {env_file})")
        for key in extra:
            click.echo(f"extra    {key}  (in {env_file}, not in {example_file})")
        if not missing and not extra:
            click.echo(f"{env_file} and {example_file} define the same variables")
    ctx.exit(1 if missing or extra else 0)


@main.command("generate-example")
@click.argument("schema", metavar="MODULE:CLASS")
@click.option(
    "-o", "--output", default=".env.example", show_default=True, type=click.Path(dir_okay=False),
    help="File to write; '-' writes to standard output.",
)  # fmt: skip
def generate_example_command(schema: str, output: str) -> None:
    """Write an example .env with each variable's type, default and description."""
    try:
        with stdout_to_stderr():  # the schema's module may log as it imports
            variables = schema_from_class(load_config_class(schema))
    except SchemaError as error:
        raise click.BadParameter(str(error), param_hint="MODULE:CLASS") from error
    text = generate_example(variables, source=schema)
    if output == "-":
        click.echo(text, nl=False)
        return
    Path(output).write_text(text, encoding="utf-8")
    click.echo(f"wrote {output} ({len(variables)} variables)")
