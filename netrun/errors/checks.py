"""System checks of ``netrun.errors``, registered in ``NetrunErrorsConfig.ready()``.

===========================  =================================================================
ID                           Reported when
===========================  =================================================================
``netrun.errors.E001``       ``NETRUN_ERRORS_PROBLEM_JSON`` is not a bool.
``netrun.errors.E002``       ``NETRUN_ERRORS_JSON_PATH_PREFIXES`` is not a list or tuple of
                             strings starting with ``/``.
``netrun.errors.E003``       Two exception classes declare the same ``error_code``.
``netrun.errors.W001``       ``rest_framework`` is installed but
                             ``REST_FRAMEWORK["EXCEPTION_HANDLER"]`` is not
                             ``"netrun.errors.drf.exception_handler"``: DRF views would answer
                             with DRF's own error format. Silence it with
                             ``SILENCED_SYSTEM_CHECKS`` if you wrap the handler on purpose.
``netrun.errors.W002``       ``rest_framework`` is installed but
                             ``REST_FRAMEWORK["DEFAULT_CONTENT_NEGOTIATION_CLASS"]`` is not
                             ``"netrun.errors.drf.ContentNegotiation"`` (or a subclass): a client
                             accepting only ``application/problem+json`` gets a 406 for every
                             request, successes included.
===========================  =================================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from netrun.errors.conf import conf
from netrun.errors.exceptions import NetrunException, iter_error_classes

__all__ = [
    "check_drf_content_negotiation",
    "check_drf_exception_handler",
    "check_error_codes",
    "check_settings",
]

DRF_HANDLER = "netrun.errors.drf.exception_handler"
DRF_NEGOTIATION = "netrun.errors.drf.ContentNegotiation"


def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    problem_json: object = conf.problem_json  # as set: this check is what validates it
    if not isinstance(problem_json, bool):
        errors.append(
            Error(
                f"NETRUN_ERRORS_PROBLEM_JSON should be a bool, not {type(problem_json).__name__}.",
                hint="Set it to True to always answer application/problem+json.",
                id="netrun.errors.E001",
            )
        )
    prefixes = conf.json_path_prefixes
    if not isinstance(prefixes, (list, tuple)) or not all(
        isinstance(prefix, str) and prefix.startswith("/") for prefix in prefixes
    ):
        errors.append(
            Error(
                "NETRUN_ERRORS_JSON_PATH_PREFIXES should be a list or tuple of paths "
                f"starting with '/', not {prefixes!r}.",
                hint='For example ["/api/"]; use [] for "decide by the Accept header only".',
                id="netrun.errors.E002",
            )
        )
    return errors


def _duplicates(classes: Iterable[type[NetrunException]]) -> dict[str, list[str]]:
    owners: dict[str, list[str]] = {}
    for cls in classes:
        # Only classes that declare a code: a subclass inheriting its parent's is fine.
        if "error_code" in vars(cls):
            owners.setdefault(cls.error_code, []).append(f"{cls.__module__}.{cls.__qualname__}")
    return {code: names for code, names in owners.items() if len(names) > 1}


def check_error_codes(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    return [
        Error(
            f"The error_code {code!r} is declared by more than one exception class: "
            f"{', '.join(names)}.",
            hint="Error codes are how clients tell errors apart; give each class its own.",
            id="netrun.errors.E003",
        )
        for code, names in sorted(_duplicates(iter_error_classes()).items())
    ]


def check_drf_exception_handler(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    if not apps.is_installed("rest_framework"):
        return []
    handler = getattr(settings, "REST_FRAMEWORK", {}).get("EXCEPTION_HANDLER")
    if callable(handler):
        handler = f"{handler.__module__}.{handler.__qualname__}"
    if handler == DRF_HANDLER:
        return []
    return [
        Warning(
            "DRF is installed but does not use the Netrun exception handler, so API views "
            "answer errors in DRF's format instead of the Netrun envelope.",
            hint=f'Set REST_FRAMEWORK["EXCEPTION_HANDLER"] = "{DRF_HANDLER}".',
            id="netrun.errors.W001",
        )
    ]


def check_drf_content_negotiation(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    if not apps.is_installed("rest_framework"):
        return []
    from django.utils.module_loading import import_string

    from netrun.errors.drf import ContentNegotiation

    configured = getattr(settings, "REST_FRAMEWORK", {}).get("DEFAULT_CONTENT_NEGOTIATION_CLASS")
    try:
        cls = import_string(configured) if isinstance(configured, str) else configured
    except ImportError:
        cls = None
    if isinstance(cls, type) and issubclass(cls, ContentNegotiation):
        return []
    return [
        Warning(
            "DRF does not use Netrun's content negotiation: a client that accepts only "
            "application/problem+json gets a 406 for every request, successes included.",
            hint=f'Set REST_FRAMEWORK["DEFAULT_CONTENT_NEGOTIATION_CLASS"] = "{DRF_NEGOTIATION}".',
            id="netrun.errors.W002",
        )
    ]
