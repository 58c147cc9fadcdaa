"""``netrun doctor``: what is installed, what it enables, and what is misconfigured.

:func:`build_report` returns plain data (the ``--json`` output); :func:`render_text` turns it
into the human report. The Django section is filled only when Django settings are configured
(``manage.py netrun_doctor``, or ``netrun doctor --settings ...``).
"""

from __future__ import annotations

import importlib
import platform
from typing import Any

from netrun.core._version import __version__
from netrun.core.conf import django_settings_configured
from netrun.core.deps import extra_for, integration_report
from netrun.core.registry import NETRUN_APPS

__all__ = ["build_report", "render_text"]


def build_report(*, run_checks: bool = True) -> dict[str, Any]:
    """Collect the doctor report.

    ``ok`` is false when a package fails to import or a system check reports an error;
    missing optional dependencies are information, not failures: an app that cannot import
    because its extra is not installed is a problem only when ``INSTALLED_APPS`` names it.
    """
    django_info = _django_section(run_checks=run_checks) if django_settings_configured() else None
    installed = set(django_info["installed_apps"]) if django_info else None

    packages = [_package_row(name, installed) for name in NETRUN_APPS]

    optional = integration_report()
    features = sorted(
        {f"{row['package']}: {row['feature']}" for row in optional if row["available"]}
    )
    checks = django_info["checks"] if django_info else []
    ok = not any(p["problem"] for p in packages) and not any(c["is_error"] for c in checks)
    return {
        "netrun_version": __version__,
        "python": platform.python_version(),
        "ok": ok,
        "packages": packages,
        "optional_dependencies": optional,
        "features_enabled": features,
        "django": django_info,
        "checks": checks,
    }


def _package_row(name: str, installed: set[str] | None) -> dict[str, Any]:
    error: str | None = None
    missing: str | None = None
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        error = f"{type(exc).__name__}: {exc}"
        # A missing third-party module is an extra not installed; a missing netrun module
        # is a broken install.
        top = (exc.name or "").split(".")[0]
        if top and top != "netrun":
            missing = top
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    in_apps = (name in installed) if installed is not None else None
    return {
        "name": name,
        "importable": error is None,
        "error": error,
        "installed": in_apps,
        # The module that is not installed, and the extra that brings it in.
        "missing_dependency": missing,
        "extra": extra_for(missing, package=name) if missing else None,
        # Not importing is a problem unless it is an extra the project does not use.
        "problem": error is not None and (missing is None or in_apps is True),
    }


def _django_section(*, run_checks: bool) -> dict[str, Any]:
    import django
    from django.apps import apps
    from django.conf import settings

    if not apps.ready:
        django.setup()
    checks: list[dict[str, Any]] = []
    if run_checks:
        from django.core import checks as django_checks

        # databases=[]: static checks only; Django 6.1 would query every database otherwise.
        for message in django_checks.run_checks(databases=[]):
            if message.is_silenced():
                continue
            checks.append(
                {
                    "id": message.id,
                    "level": _level_name(message.level),
                    "is_error": message.is_serious(),
                    "message": str(message.msg),
                    "hint": message.hint,
                    "obj": str(message.obj) if message.obj is not None else None,
                }
            )
    return {
        "version": django.get_version(),
        "settings_module": getattr(settings, "SETTINGS_MODULE", None),
        "installed_apps": [config.name for config in apps.get_app_configs()],
        "checks": checks,
    }


def _level_name(level: int) -> str:
    from django.core import checks as django_checks

    names = {
        django_checks.DEBUG: "DEBUG",
        django_checks.INFO: "INFO",
        django_checks.WARNING: "WARNING",
        django_checks.ERROR: "ERROR",
        django_checks.CRITICAL: "CRITICAL",
    }
    return names.get(level, str(level))


def render_text(report: dict[str, Any]) -> str:
    """The human-readable report."""
    lines = [f"Netrun {report['netrun_version']} on Python {report['python']}"]
    django_info = report["django"]
    if django_info:
        lines.append(
            f"Django {django_info['version']} (settings: {django_info['settings_module']})"
        )
    else:
        lines.append(
            "Django settings not configured: pass --settings or set DJANGO_SETTINGS_MODULE"
        )

    lines += ["", "Packages"]
    for package in report["packages"]:
        missing = package.get("missing_dependency")
        if not package["importable"] and missing and not package.get("problem", True):
            state = f"not installed ({_install_hint(package.get('extra'), missing)})"
        elif not package["importable"] and missing:
            state = (
                f"IMPORT FAILED: {package['error']}: in INSTALLED_APPS, needs "
                f"{_install_hint(package.get('extra'), missing)}"
            )
        elif not package["importable"]:
            state = f"IMPORT FAILED: {package['error']}"
        elif package["installed"] is None:
            state = "importable"
        elif package["installed"]:
            state = "in INSTALLED_APPS"
        else:
            state = "importable, not in INSTALLED_APPS"
        mark = "x" if package["importable"] and package["installed"] is not False else " "
        lines.append(f"  [{mark}] {package['name']:<24} {state}")

    lines += ["", "Optional dependencies"]
    for row in report["optional_dependencies"]:
        mark = "x" if row["available"] else " "
        version = f" {row['version']}" if row["version"] else ""
        hint = ""
        if not row["available"] and row["extra"]:
            hint = f'  (pip install "netrun[{row["extra"]}]")'
        lines.append(
            f"  [{mark}] {row['dependency'] + version:<44} {row['package']}: {row['feature']}{hint}"
        )

    lines += ["", "System checks"]
    if not django_info:
        lines.append("  not run (Django not configured)")
    elif not report["checks"]:
        lines.append("  no issues")
    for check in report["checks"]:
        lines.append(f"  {check['level']} {check['id']}: {check['message']}")
        if check["hint"]:
            lines.append(f"      hint: {check['hint']}")

    lines += ["", "OK" if report["ok"] else "PROBLEMS FOUND"]
    return "\n".join(lines)


def _install_hint(extra: str | None, module: str) -> str:
    return f'pip install "netrun[{extra}]"' if extra else f"pip install {module}"
