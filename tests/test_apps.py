"""Every netrun package is a Django app with the label, typing marker and docstring rules."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from django.apps import apps

from netrun.core.registry import LEVELS, NETRUN_APPS

ROOT = Path(__file__).resolve().parents[1]


def test_netrun_is_a_namespace_package() -> None:
    assert not (ROOT / "netrun" / "__init__.py").exists()
    assert not (ROOT / "netrun" / "py.typed").exists()


def test_every_package_of_the_seeds_is_in_the_registry() -> None:
    seeds = {
        "core", "errors", "logging", "config", "env", "auth", "oauth", "cors",
        "ratelimit", "db_pool", "rbac", "llm", "pytest_fixtures", "dogfood",
    }  # fmt: skip
    assert {name.removeprefix("netrun.") for name in NETRUN_APPS} == seeds
    assert set(LEVELS) == set(NETRUN_APPS)


@pytest.mark.parametrize("name", NETRUN_APPS)
def test_app_config_follows_the_conventions(name: str) -> None:
    short = name.removeprefix("netrun.")
    config = apps.get_app_config(f"netrun_{short}")
    assert config.name == name
    assert config.verbose_name.startswith("Netrun")
    assert config.default_auto_field == "django.db.models.BigAutoField"
    package = importlib.import_module(name)
    assert package.__doc__
    assert package.__doc__.strip()
    assert isinstance(package.__all__, list)
    assert (ROOT / "netrun" / short / "py.typed").is_file()
    for exported in package.__all__:
        assert hasattr(package, exported), f"{name}.__all__ names missing {exported}"


SIGNALS_MODULES = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts)
    for path in (ROOT / "netrun").glob("*/signals.py")
)


@pytest.mark.parametrize("name", SIGNALS_MODULES)
def test_a_signals_module_holds_documented_signals_and_no_receivers(name: str) -> None:
    from django.dispatch import Signal

    module = importlib.import_module(name)
    assert module.__all__
    assert all(isinstance(getattr(module, signal), Signal) for signal in module.__all__)
    source = Path(module.__file__ or "").read_text(encoding="utf-8")
    tree = ast.parse(source)
    # Receivers live elsewhere and are connected in AppConfig.ready(): nothing here runs code.
    assert not [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    assert ".connect(" not in source
    assert "@receiver" not in source.replace("#:     @receiver", "")
    lines = source.splitlines()
    for node in tree.body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) != "__all__":
            comment = lines[node.lineno - 2].strip()
            assert comment.startswith("#:"), f"{name}: document {ast.unparse(node.targets[0])}"


def test_the_signals_modules_are_found() -> None:
    assert {"netrun.llm.signals", "netrun.rbac.signals"} <= set(SIGNALS_MODULES)


def _registers_checks(node: ast.AST) -> bool:
    if isinstance(node, ast.ImportFrom) and node.module == "django.core.checks":
        return any(alias.name == "register" for alias in node.names)
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "register"
        and isinstance(node.value, ast.Name)
        and node.value.id == "checks"
    )


def test_system_checks_are_registered_in_ready_only() -> None:
    """One way: ``checks.register(check_x, *tags)`` in ``AppConfig.ready()``, never at import."""
    registering = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in sorted((ROOT / "netrun").rglob("*.py"))
        if path.name != "apps.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if _registers_checks(node)
    ]
    assert registering == []


def test_no_receiver_is_connected_by_a_decorator_at_import() -> None:
    """Receivers are plain functions that ``AppConfig.ready()`` connects, when the feature is on."""
    decorated = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in sorted((ROOT / "netrun").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef)
        for decorator in node.decorator_list
        if "receiver" in ast.unparse(decorator).split("(")[0]
    ]
    assert decorated == []
