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
=======================  ==============================================================

E001 to E006 come from the :class:`netrun.config.django.Env` helpers in ``settings.py``;
E007 builds (afresh) every class registered with ``app_settings()`` / ``register_config()`` /
``get_settings()`` and lists each bad field with its variable.
"""

from __future__ import annotations

from typing import Any

from django.core import checks

from netrun.config.django import problems
from netrun.config.registry import registered_configs
from netrun.core.deps import MissingDependencyError
from netrun.errors import NetrunException

__all__ = ["check_config_classes", "check_environment"]


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
