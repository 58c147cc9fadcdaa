"""System checks of ``netrun.cors``, registered in ``NetrunCorsConfig.ready()``.

=====================  ==========================================================================
ID                     Reported when
=====================  ==========================================================================
``netrun.cors.E001``   an allowed origin is not ``scheme://host[:port]`` (path, userinfo,
                       trailing dot, wildcard pattern, bad port...)
``netrun.cors.E002``   an allowed origin regex does not compile
``netrun.cors.E003``   a wildcard origin is combined with credentials
``netrun.cors.E004``   the ``null`` origin is allowed outside the development preset/environment
``netrun.cors.E005``   an ``http://`` origin is allowed in production
``netrun.cors.E006``   an origin regex matches arbitrary origins (``.*``, ``https://.+``...)
``netrun.cors.E007``   a wildcard origin is used with the production or oauth preset, or in the
                       production environment
``netrun.cors.E008``   the development preset is selected in staging or production
``netrun.cors.E009``   ``NETRUN_CORS_URLS_REGEX`` does not compile
``netrun.cors.E010``   both ``corsheaders.middleware.CorsMiddleware`` and the netrun middleware
                       are in ``MIDDLEWARE``
``netrun.cors.W001``   an ``http://`` origin (not loopback) is allowed in staging
``netrun.cors.W002``   an origin regex lets look-alike domains match (unescaped ``.``, or
                       ``.*`` glued to a name)
``netrun.cors.W003``   credentials are allowed but an allowed origin is missing from
                       ``CSRF_TRUSTED_ORIGINS``, so its unsafe requests fail Django's CSRF check
``netrun.cors.W004``   django-cors-headers' own ``CORS_*`` settings are set; the netrun
                       middleware ignores them
``netrun.cors.W005``   the netrun middleware comes after ``CommonMiddleware``
``netrun.cors.W006``   ``netrun.cors`` is installed but no CORS middleware is in ``MIDDLEWARE``
=====================  ==========================================================================

E001-E009 and W001-W002 come from :func:`netrun.cors.policy.compile_policy` and are also
reported for every view decorated with ``@cors_policy`` (the message names the view). The
runtime refuses the same things: the middleware drops refused entries and fails closed.
Settings that do not validate at all are ``netrun.config.E007``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.urls import URLPattern, URLResolver, get_resolver

from netrun.config import get_settings
from netrun.cors.conf import CORSConfig
from netrun.cors.decorators import view_override
from netrun.cors.policy import CorsPolicy, PolicyOverride, PolicySpec, Problem, compile_policy
from netrun.errors import NetrunException

__all__ = [
    "CORSHEADERS_MIDDLEWARE",
    "CORSHEADERS_SETTINGS",
    "NETRUN_MIDDLEWARE",
    "check_csrf_trusted_origins",
    "check_middleware",
    "check_policy",
    "check_view_policies",
]

NETRUN_MIDDLEWARE = "netrun.cors.middleware.CorsMiddleware"
CORSHEADERS_MIDDLEWARE = "corsheaders.middleware.CorsMiddleware"
COMMON_MIDDLEWARE = "django.middleware.common.CommonMiddleware"
CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware"

#: django-cors-headers' settings, including its old names.
CORSHEADERS_SETTINGS = (
    "CORS_ALLOWED_ORIGINS",
    "CORS_ALLOWED_ORIGIN_REGEXES",
    "CORS_ALLOW_ALL_ORIGINS",
    "CORS_ALLOW_CREDENTIALS",
    "CORS_ALLOW_HEADERS",
    "CORS_ALLOW_METHODS",
    "CORS_ALLOW_PRIVATE_NETWORK",
    "CORS_EXPOSE_HEADERS",
    "CORS_PREFLIGHT_MAX_AGE",
    "CORS_URLS_REGEX",
    "CORS_ORIGIN_ALLOW_ALL",
    "CORS_ORIGIN_WHITELIST",
    "CORS_ORIGIN_REGEX_WHITELIST",
)


def _message(problem: Problem, *, view: str | None = None) -> CheckMessage:
    text = problem.message if view is None else f"@cors_policy on view {view!r}: {problem.message}"
    kind = Error if problem.is_error else Warning
    return kind(
        text,
        hint=problem.hint or None,
        obj=view or problem.subject,
        id=f"netrun.cors.{problem.code}",
    )


def _spec() -> PolicySpec | None:
    try:
        return PolicySpec.from_config(get_settings(CORSConfig))
    except NetrunException:
        return None  # netrun.config.E007 names the bad fields


def check_policy(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """The project's CORS policy: E001-E009, W001-W002."""
    spec = _spec()
    if spec is None:
        return []
    _, problems = compile_policy(spec)
    return [_message(problem) for problem in problems]


def _walk(
    patterns: Sequence[URLPattern | URLResolver], prefix: str = ""
) -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.callback


def _view_name(callback: Any, route: str) -> str:
    # as_view() returns a closure; the class (Django's view_class, DRF's cls) names it.
    target = getattr(callback, "view_class", None) or getattr(callback, "cls", None) or callback
    return f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', route)}"


def check_view_policies(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Every ``@cors_policy`` view in the URLconf, with the project's policy as its base."""
    spec = _spec()
    if spec is None:
        return []
    messages: list[CheckMessage] = []
    seen: set[PolicyOverride] = set()
    for route, callback in _walk(get_resolver().url_patterns):
        override = view_override(callback)
        if override is None or override in seen:
            continue
        seen.add(override)
        _, problems = compile_policy(spec.merged(override))
        view = _view_name(callback, route)
        messages.extend(_message(problem, view=view) for problem in problems)
    return messages


def check_middleware(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E010, W004, W005, W006."""
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    messages: list[CheckMessage] = []
    ours = NETRUN_MIDDLEWARE in middleware
    if ours and CORSHEADERS_MIDDLEWARE in middleware:
        messages.append(
            Error(
                "Both corsheaders' and netrun's CorsMiddleware are in MIDDLEWARE; they would "
                "answer with two different policies.",
                hint=f"Keep only {NETRUN_MIDDLEWARE!r}.",
                id="netrun.cors.E010",
            )
        )
    if ours:
        handwritten = [name for name in CORSHEADERS_SETTINGS if hasattr(settings, name)]
        if handwritten:
            messages.append(
                Warning(
                    f"{', '.join(handwritten)} {'is' if len(handwritten) == 1 else 'are'} set, "
                    "but the netrun CORS middleware is configured by its preset and ignores "
                    "django-cors-headers' settings.",
                    hint="Use NETRUN_CORS_* (or CORS_* environment variables) instead.",
                    id="netrun.cors.W004",
                )
            )
        if COMMON_MIDDLEWARE in middleware and middleware.index(
            NETRUN_MIDDLEWARE
        ) > middleware.index(COMMON_MIDDLEWARE):
            messages.append(
                Warning(
                    "The netrun CorsMiddleware comes after CommonMiddleware, whose redirects "
                    "and responses would then miss the CORS headers.",
                    hint="Move it above CommonMiddleware, as high as possible.",
                    id="netrun.cors.W005",
                )
            )
    elif CORSHEADERS_MIDDLEWARE not in middleware:
        messages.append(
            Warning(
                "netrun.cors is installed but no CORS middleware is in MIDDLEWARE, so no "
                "response carries CORS headers.",
                hint=f"Add {NETRUN_MIDDLEWARE!r} above CommonMiddleware.",
                id="netrun.cors.W006",
            )
        )
    return messages


def _csrf_trusts(origin: str, trusted: Sequence[str]) -> bool:
    """Django's rule: exact, or ``scheme://*.domain`` covering subdomains."""
    parsed = urlsplit(origin)
    for entry in trusted:
        if entry == origin:
            return True
        candidate = urlsplit(entry)
        if candidate.scheme == parsed.scheme and candidate.netloc.startswith("*."):
            suffix = candidate.netloc[1:]
            if (parsed.netloc or "").endswith(suffix):
                return True
    return False


def check_csrf_trusted_origins(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W003: credentialed CORS origins that Django's CSRF check would refuse."""
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    spec = _spec()
    if spec is None or CSRF_MIDDLEWARE not in middleware:
        return []
    policy: CorsPolicy = compile_policy(spec)[0]
    if not policy.allow_credentials:
        return []
    trusted = list(getattr(settings, "CSRF_TRUSTED_ORIGINS", []))
    missing = [origin for origin in policy.listed if not _csrf_trusts(origin, trusted)]
    if not missing:
        return []
    return [
        Warning(
            f"CORS allows credentials from {', '.join(missing)}, but CSRF_TRUSTED_ORIGINS does "
            "not trust them: their POST/PUT/PATCH/DELETE requests will fail Django's CSRF check.",
            hint="In settings.py: CSRF_TRUSTED_ORIGINS = netrun.cors.csrf_trusted_origins().",
            id="netrun.cors.W003",
        )
    ]
