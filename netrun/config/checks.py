"""System checks of ``netrun.config``.

=======================  ==============================================================
Id                       Reported when
=======================  ==============================================================
``netrun.config.E001``   a variable ``settings.py`` requires (``env.str("X")``) is not set
``netrun.config.E002``   a variable is not a valid boolean, integer, number, JSON or choice
``netrun.config.E003``   ``DATABASE_URL`` (or the variable given) is not a database URL
``netrun.config.E004``   ``CACHE_URL`` is not a cache URL
``netrun.config.E005``   ``EMAIL_URL`` is not an e-mail URL
``netrun.config.E006``   ``CELERY_BROKER_URL`` is not a broker URL kombu understands
``netrun.config.E007``   a registered ``BaseConfig`` class does not validate
``netrun.config.E008``   a ``NETRUN_<APP>_*`` Django setting that no netrun app reads (a
                         misspelt name: the default applies silently); names the closest
``netrun.config.W001``   another ``NETRUN_*`` setting close to a name netrun reads
=======================  ==============================================================

E001 to E006 come from the :class:`netrun.config.django.Env` helpers in ``settings.py``;
E007 builds (afresh) every class registered with ``app_settings()`` / ``register_config()`` /
``get_settings()`` and lists each bad field with its variable. E008/W001 compare the project's
``NETRUN_*`` settings with every name a netrun app reads: the fields of the registered
``BaseConfig`` classes and the settings the apps' ``conf`` modules document.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks

from netrun.config.django import problems
from netrun.config.registry import registered_configs
from netrun.core.deps import MissingDependencyError
from netrun.errors import NetrunException

__all__ = [
    "check_config_classes",
    "check_environment",
    "check_unknown_settings",
    "known_settings",
    "setting_errors",
]

_SETTING = re.compile(r"\bNETRUN_[A-Z0-9_]*[A-Z0-9]\b")


def setting_errors(
    error: NetrunException, check_id: str | Callable[[str], str]
) -> list[checks.CheckMessage]:
    """One ``Error`` per bad field of a ``BaseConfig`` that did not build (``error``): the
    Django setting (else the variable) and what is wrong with it. ``check_id`` is the id, or
    gives it for a field name."""
    return [
        checks.Error(
            f"{entry.get('django_setting') or entry['variable']} is invalid: {entry['message']}",
            hint=f"Environment variable {entry['variable']}.",
            id=check_id if isinstance(check_id, str) else check_id(entry["field"]),
        )
        for entry in error.details.get("errors", [])
    ]


def check_environment(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Report what the ``Env`` helpers could not use while ``settings.py`` was imported."""
    return [
        checks.Error(problem.message, hint=problem.hint, id=problem.check_id, obj=problem.variable)
        for problem in problems()
    ]


def check_config_classes(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Build each registered settings class; report every invalid field."""
    messages: list[checks.CheckMessage] = []
    for config_class in registered_configs():
        try:
            # Built afresh, not from the cache: the check must see the sources as they are now.
            config_class()
        except NetrunException as error:
            entries = error.details.get("errors", [])
            fields = "; ".join(f"{e['variable']}: {e['message']}" for e in entries)
            messages.append(
                checks.Error(
                    f"{config_class.__name__} is misconfigured: {fields or error.message}",
                    hint="Fix the variables named above (netrun-env validate helps).",
                    id="netrun.config.E007",
                    obj=f"{config_class.__module__}.{config_class.__qualname__}",
                )
            )
        except MissingDependencyError as error:
            messages.append(
                checks.Error(
                    f"{config_class.__name__} cannot load: {error}",
                    id="netrun.config.E007",
                    obj=f"{config_class.__module__}.{config_class.__qualname__}",
                )
            )
    return messages


@functools.lru_cache(maxsize=1)
def _documented_settings() -> tuple[frozenset[str], frozenset[str]]:
    """Every ``NETRUN_*`` name in netrun's own source, and the app prefixes (``NETRUN_CORS_``).

    Level 0-1 apps read settings through small property objects (no field list to ask), and
    each documents its settings in its ``conf`` module: the names are taken from the source.
    """
    import netrun

    names: set[str] = set()
    prefixes: set[str] = set()
    for root in map(Path, netrun.__path__):
        for app in root.iterdir():
            if app.is_dir() and (app / "apps.py").is_file():
                prefixes.add(f"NETRUN_{app.name.upper()}_")
            for source in app.rglob("*.py") if app.is_dir() else ():
                names.update(_SETTING.findall(source.read_text(encoding="utf-8")))
    return frozenset(names), frozenset(prefixes)


def known_settings() -> frozenset[str]:
    """The ``NETRUN_*`` Django settings netrun reads."""
    names = set(_documented_settings()[0])
    for config_class in registered_configs():
        names.update(config_class.django_setting_names())
    return frozenset(names)


def check_unknown_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Report ``NETRUN_*`` settings no app reads, with the closest name that one does."""
    known = known_settings()
    prefixes = _documented_settings()[1]
    messages: list[checks.CheckMessage] = []
    for name in sorted(dir(settings)):
        if not name.startswith("NETRUN_") or name in known:
            continue
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
        hint = f"Did you mean {close[0]}?" if close else "Remove it: netrun ignores it."
        if any(name.startswith(prefix) for prefix in prefixes):
            messages.append(
                checks.Error(
                    f"{name} is not a netrun setting; it is ignored and the default applies.",
                    hint=hint,
                    id="netrun.config.E008",
                    obj=name,
                )
            )
        elif close:
            messages.append(
                checks.Warning(
                    f"{name} is not a netrun setting.", hint=hint, id="netrun.config.W001", obj=name
                )
            )
    return messages
