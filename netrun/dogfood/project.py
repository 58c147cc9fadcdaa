"""The checks of a configured Django project: middleware, system checks, a request, tenancy.

Every function skips (saying why) when Django settings are not configured. Django is
imported inside the functions, so ``netrun dogfood`` runs the suite checks without it.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from netrun.core.conf import django_settings_configured
from netrun.dogfood.report import CheckResult

__all__ = [
    "check_middleware",
    "check_rls",
    "check_round_trip",
    "check_system_checks",
    "check_tenant_isolation",
    "django_ready",
]

CORRELATION = "netrun.logging.middleware.CorrelationIdMiddleware"
CORS = ("netrun.cors.middleware.CorsMiddleware", "corsheaders.middleware.CorsMiddleware")
COMMON = "django.middleware.common.CommonMiddleware"
ERROR_ENVELOPE = "netrun.errors.middleware.ErrorEnvelopeMiddleware"
AUTHENTICATION = (
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "netrun.auth.middleware.JWTAuthenticationMiddleware",
)
TENANT = "netrun.rbac.middleware.TenantMiddleware"
#: A path no project routes, answered by the 404 handling under test.
PROBE_PATH = "/__netrun_dogfood__/no-such-page/"
RLS_VALIDATOR = "netrun.rbac.db.validate_rls_policies"

_NOT_CONFIGURED = "skipped: Django settings not configured (pass --settings)"


def django_ready() -> bool:
    """Django settings are configured, setting Django up if nobody has yet."""
    if not django_settings_configured():
        return False
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    return True


def _installed(app: str) -> bool:
    from django.apps import apps

    return apps.is_installed(app)


def check_middleware(middleware: Sequence[str] | None = None) -> CheckResult:
    """``MIDDLEWARE`` in the order the contracts need (ARCHITECTURE.md, section 3)."""
    if not django_ready():
        return CheckResult("middleware", "skip", _NOT_CONFIGURED)
    from django.conf import settings

    stack = list(settings.MIDDLEWARE if middleware is None else middleware)
    problems: list[str] = []
    notes: list[str] = []

    def at(path: str) -> int | None:
        return stack.index(path) if path in stack else None

    correlation = at(CORRELATION)
    if correlation is None:
        problems.append(f"{CORRELATION} is missing: logs and errors carry no correlation ID")
    elif correlation != 0:
        problems.append(
            f"{CORRELATION} is at position {correlation}; it must be first, so every later "
            "middleware logs with the request's correlation ID"
        )
    common = at(COMMON)
    cors = [(path, index) for path in CORS if (index := at(path)) is not None]
    for path, index in cors:
        if common is not None and index > common:
            problems.append(
                f"{path} comes after {COMMON}: CommonMiddleware may answer (redirects) "
                "without CORS headers"
            )
    if not cors and _installed("netrun.cors"):
        notes.append("netrun.cors is installed but no CorsMiddleware is in MIDDLEWARE")
    if at(ERROR_ENVELOPE) is None:
        problems.append(
            f"{ERROR_ENVELOPE} is missing: plain Django views answer without the envelope"
        )
    tenant = at(TENANT)
    if tenant is not None:
        for path in AUTHENTICATION:
            index = at(path)
            if index is not None and index > tenant:
                problems.append(f"{TENANT} comes before {path}: it cannot see the user")
    elif _installed("netrun.rbac"):
        notes.append(f"netrun.rbac is installed without {TENANT}: tenants come from tokens only")
    if problems:
        return CheckResult("middleware", "fail", f"{len(problems)} problem(s)", problems + notes)
    return CheckResult("middleware", "pass", f"{len(stack)} middleware in a valid order", notes)


def check_system_checks() -> CheckResult:
    """Django's system checks (netrun's included) report no error."""
    if not django_ready():
        return CheckResult("system_checks", "skip", _NOT_CONFIGURED)
    from django.core import checks

    messages = [message for message in checks.run_checks() if not message.is_silenced()]
    errors = [message for message in messages if message.is_serious()]
    details = [
        f"{message.id}: {message.msg}"
        for message in errors + [m for m in messages if m not in errors]
    ]
    if errors:
        return CheckResult("system_checks", "fail", f"{len(errors)} error(s)", details)
    if messages:
        return CheckResult("system_checks", "warn", f"{len(messages)} warning(s)", details)
    return CheckResult("system_checks", "pass", "no issues")


def check_round_trip(path: str = PROBE_PATH) -> CheckResult:
    """A JSON request for a missing page returns the envelope and the correlation ID.

    The request goes through the whole middleware stack with Django's test client; the
    correlation ID is sent, so it must come back in the header and in the envelope.
    """
    if not django_ready():
        return CheckResult("round_trip", "skip", _NOT_CONFIGURED)
    from django.conf import settings
    from django.test import Client, override_settings

    correlation_id = f"dogfood-{uuid.uuid4().hex}"
    # The test client's host is "testserver"; a project's ALLOWED_HOSTS rightly omits it.
    with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        response = Client(raise_request_exception=False).get(
            path,
            headers={"Accept": "application/json", "X-Correlation-ID": correlation_id},
            secure=bool(getattr(settings, "SECURE_SSL_REDIRECT", False)),
        )
    problems: list[str] = []
    if response.status_code != 404:
        problems.append(f"GET {path} answered {response.status_code}, expected 404")
    header = response.headers.get("X-Correlation-ID")
    if header != correlation_id:
        problems.append(f"X-Correlation-ID header is {header!r}, expected the one sent")
    error = _envelope(response)
    if error is None:
        content_type = response.headers.get("Content-Type")
        problems.append(
            f"the body is not the error envelope (Content-Type {content_type!r}); an unrouted "
            "path needs handler404 = 'netrun.errors.views.handler404' in the root URLconf"
        )
    else:
        if error.get("code") != "RESOURCE_NOT_FOUND":
            problems.append(
                f"envelope code is {error.get('code')!r}, expected 'RESOURCE_NOT_FOUND'"
            )
        if error.get("correlation_id") != correlation_id:
            problems.append(f"envelope correlation_id is {error.get('correlation_id')!r}")
    if problems:
        return CheckResult("round_trip", "fail", f"{len(problems)} problem(s)", problems)
    return CheckResult(
        "round_trip", "pass", "404 envelope with the request's correlation ID, header and body"
    )


def _envelope(response: Any) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else None


def check_tenant_isolation(project_root: Path | str | None = None) -> CheckResult:
    """``TenantEscapePathScanner`` finds no cross-tenant escape path in the project."""
    if not django_ready():
        return CheckResult("tenant_isolation", "skip", _NOT_CONFIGURED)
    if not _installed("netrun.rbac"):
        return CheckResult("tenant_isolation", "skip", "skipped: netrun.rbac is not installed")
    try:
        scanner_class = importlib.import_module("netrun.rbac.scanner").TenantEscapePathScanner
    except (ImportError, AttributeError):
        return CheckResult(
            "tenant_isolation", "skip", "skipped: not available (netrun.rbac.scanner)"
        )
    root = Path(project_root) if project_root is not None else _default_root()
    scanner = scanner_class(root)
    violations = scanner.scan()
    details = [
        f"{item.path}:{item.line} {item.rule} {item.message}: {item.snippet}" for item in violations
    ]
    if violations:
        return CheckResult(
            "tenant_isolation", "fail", f"{len(violations)} escape path(s) under {root}", details
        )
    return CheckResult(
        "tenant_isolation",
        "pass",
        f"no escape path under {root} ({len(scanner.scoped_models)} tenant-scoped models)",
    )


def _default_root() -> Path:
    from django.conf import settings

    base = getattr(settings, "BASE_DIR", None)
    return Path(base) if base else Path.cwd()


def check_rls(using: str = "default") -> CheckResult:
    """PostgreSQL row-level security policies are in place (PostgreSQL only)."""
    if not django_ready():
        return CheckResult("rls", "skip", _NOT_CONFIGURED)
    from django.db import connections

    vendor = connections[using].vendor
    if vendor != "postgresql":
        return CheckResult(
            "rls", "skip", f"skipped: the {using!r} database is {vendor}; RLS needs PostgreSQL"
        )
    module_name, _, name = RLS_VALIDATOR.rpartition(".")
    try:
        validate = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError):
        return CheckResult("rls", "skip", f"skipped: not available ({RLS_VALIDATOR})")
    try:
        problems = list(validate(using=using) or ())
    except Exception as error:
        return CheckResult("rls", "fail", f"validation raised {type(error).__name__}: {error}")
    if problems:
        return CheckResult("rls", "fail", f"{len(problems)} problem(s)", [str(p) for p in problems])
    return CheckResult("rls", "pass", "row-level security policies validated")
