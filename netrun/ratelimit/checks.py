"""System checks of ``netrun.ratelimit``, registered in ``NetrunRatelimitConfig.ready()``.

===========================  ==================================================================
ID                           Reported when
===========================  ==================================================================
``netrun.ratelimit.E001``    ``NETRUN_RATELIMIT_MIDDLEWARE_RATE`` (or a rate in DRF's
                             ``DEFAULT_THROTTLE_RATES``) is not a valid rate string.
``netrun.ratelimit.E002``    ``NETRUN_RATELIMIT_BACKEND`` cannot be imported, or does not build
                             a ``netrun.ratelimit.Backend``.
``netrun.ratelimit.E003``    ``NETRUN_RATELIMIT_TRUSTED_PROXY_COUNT`` is not an integer >= 0.
``netrun.ratelimit.E004``    ``NETRUN_RATELIMIT_MIDDLEWARE_KEY`` is not a known key, an accessor
                             (``header:``, ``get:``, ``post:``) or an importable callable.
``netrun.ratelimit.E005``    The ``redis`` backend is chosen without ``NETRUN_RATELIMIT_REDIS_URL``
                             or without the ``redis`` package.
``netrun.ratelimit.E006``    Another ``NETRUN_RATELIMIT_*`` setting does not validate (its
                             variable and the reason are named).
===========================  ==================================================================

The checks build the settings object themselves, so one bad value is reported under its own
id instead of failing the first request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error

from netrun.config import get_settings
from netrun.config.checks import setting_errors
from netrun.core.deps import is_available
from netrun.errors import NetrunException
from netrun.ratelimit._rate import InvalidRateError, parse_rate
from netrun.ratelimit.backends.base import Backend
from netrun.ratelimit.conf import BACKEND_ALIASES, RatelimitConfig, import_backend
from netrun.ratelimit.keys import resolve_key_func

__all__ = ["check_settings"]

_FIELD_IDS = {
    "middleware_rate": "netrun.ratelimit.E001",
    "backend": "netrun.ratelimit.E002",
    "trusted_proxy_count": "netrun.ratelimit.E003",
    "middleware_key": "netrun.ratelimit.E004",
    "redis_url": "netrun.ratelimit.E005",
}


def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    try:
        settings = get_settings(RatelimitConfig)
    except NetrunException as error:
        return setting_errors(error, lambda field: _FIELD_IDS.get(field, "netrun.ratelimit.E006"))
    return [
        *_check_rates(settings),
        *_check_backend(settings),
        *_check_proxies(settings),
        *_check_key(settings),
    ]


def _check_rates(settings: RatelimitConfig) -> list[CheckMessage]:
    rates: list[tuple[str, Any]] = []
    if settings.middleware_rate is not None:
        rates.append(("NETRUN_RATELIMIT_MIDDLEWARE_RATE", settings.middleware_rate))
    if is_available("rest_framework"):
        from django.conf import settings as django_settings

        drf = getattr(django_settings, "REST_FRAMEWORK", {}) or {}
        for scope, rate in (drf.get("DEFAULT_THROTTLE_RATES") or {}).items():
            if rate is not None:
                rates.append((f"REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'][{scope!r}]", rate))
    errors: list[CheckMessage] = []
    for name, rate in rates:
        try:
            parse_rate(rate)
        except InvalidRateError as error:
            errors.append(
                Error(
                    f"{name}: {error}",
                    hint="Write rates as '<limit>/<period>', for example '100/m'.",
                    id="netrun.ratelimit.E001",
                )
            )
    return errors


def _check_backend(settings: RatelimitConfig) -> list[CheckMessage]:
    path = settings.backend
    try:
        factory = import_backend(path)
    except ImportError as error:
        return [
            Error(
                str(error),
                hint="Use 'memory', 'redis' or the dotted path of a Backend subclass.",
                id="netrun.ratelimit.E002",
            )
        ]
    if BACKEND_ALIASES.get(path, path) == BACKEND_ALIASES["redis"]:
        problems = []
        if not settings.redis_url:
            problems.append("NETRUN_RATELIMIT_REDIS_URL is not set")
        if not is_available("redis"):
            problems.append('the redis package is not installed (pip install "netrun[redis]")')
        return [
            Error(
                f"NETRUN_RATELIMIT_BACKEND is 'redis' but {problem}.",
                id="netrun.ratelimit.E005",
            )
            for problem in problems
        ]
    is_class = isinstance(factory, type)
    if (is_class and not issubclass(factory, Backend)) or not callable(factory):
        return [
            Error(
                f"NETRUN_RATELIMIT_BACKEND {path!r} is neither a netrun.ratelimit.Backend "
                "subclass nor a factory of one.",
                id="netrun.ratelimit.E002",
            )
        ]
    return []


def _check_proxies(settings: RatelimitConfig) -> list[CheckMessage]:
    if settings.trusted_proxy_count >= 0:
        return []
    return [
        Error(
            "NETRUN_RATELIMIT_TRUSTED_PROXY_COUNT must be 0 or more, "
            f"not {settings.trusted_proxy_count}.",
            hint="Count the reverse proxies that append to X-Forwarded-For (0: none).",
            id="netrun.ratelimit.E003",
        )
    ]


def _check_key(settings: RatelimitConfig) -> list[CheckMessage]:
    try:
        resolve_key_func(settings.middleware_key)
    except (ValueError, ImportError) as error:
        return [
            Error(
                f"NETRUN_RATELIMIT_MIDDLEWARE_KEY: {error}",
                hint="Use ip, user, user_or_ip, tenant, header:<name> or a dotted path.",
                id="netrun.ratelimit.E004",
            )
        ]
    return []
