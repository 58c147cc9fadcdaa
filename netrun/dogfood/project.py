"""The checks of a configured Django project: middleware, system checks, a request, tenancy.

Every function skips (saying why) when Django settings are not configured. Django is
imported inside the functions, so ``netrun dogfood`` runs the suite checks without it.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netrun.core.conf import django_settings_configured
from netrun.dogfood._report import CheckResult

if TYPE_CHECKING:
    from netrun.rbac.scanner import TenantEscapePathScanner

__all__ = [
    "check_middleware",
    "check_rls",
    "check_round_trip",
    "check_system_checks",
    "check_tenant_isolation",
    "django_ready",
    "preserved_system_checks",
    "project_sources",
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
#: The database engine that sets the request's tenant on the session: RLS needs it.
RLS_ENGINE = "netrun.rbac.db.backends.postgresql"
#: Folder names that hold installed libraries, never a project's own code.
_LIBRARY_PARTS = frozenset({"site-packages", "dist-packages"})

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


@contextlib.contextmanager
def preserved_system_checks() -> Iterator[None]:
    """Undo the system checks registered inside the block.

    The suite checks import every netrun module, and a module can register system checks as
    it is imported (django-guardian's ``guardian.W001`` does, for a project that does not
    install guardian): ``system_checks`` must report the project, not what dogfood imported.
    """
    if not django_ready():
        yield
        return
    from django.core.checks.registry import registry

    registered, deployment = set(registry.registered_checks), set(registry.deployment_checks)
    try:
        yield
    finally:
        registry.registered_checks = registered
        registry.deployment_checks = deployment


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

    # databases=[]: the static checks only, on every Django (6.1 would otherwise query each
    # database for the model checks, as `check --database` does).
    found = checks.run_checks(databases=[])
    messages = [message for message in found if not message.is_silenced()]
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

    The probe runs with ``DEBUG`` off, as production answers: with ``DEBUG`` on, Django
    answers an unrouted path with its technical 404 page and never calls ``handler404``, so
    a development settings module would fail (or, worse, pass) for the wrong reason. The
    contract probed is the one clients meet in production: the root URLconf routes
    ``handler404`` to netrun's envelope.
    """
    if not django_ready():
        return CheckResult("round_trip", "skip", _NOT_CONFIGURED)
    from django.conf import settings
    from django.test import Client, override_settings

    correlation_id = f"dogfood-{uuid.uuid4().hex}"
    # The test client's host is "testserver"; a project's ALLOWED_HOSTS rightly omits it.
    with override_settings(DEBUG=False, ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
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


def project_sources(
    settings_module: str, base_dir: Path | str | None, apps: Iterable[tuple[str, Path]]
) -> tuple[Path, list[Path]]:
    """The project's folder and its own source folders in it: ``(root, sources)``.

    The sources are the folder of the settings module's top package (or of the settings
    module itself) and of every installed app ``(name, path)`` under ``base_dir`` that is
    neither netrun's nor an installed library's, nested folders dropped. ``root`` is
    ``base_dir`` (default: the parent of the settings package), widened if a source lies
    outside it. A repository's ``tests/``, ``docs/`` or virtualenv are not sources.
    """
    top = importlib.import_module(settings_module.partition(".")[0])
    top_paths = list(getattr(top, "__path__", None) or [])
    folders = [Path(path).resolve() for path in top_paths] or (
        [Path(top.__file__).resolve().parent] if top.__file__ else []
    )
    base = Path(base_dir).resolve() if base_dir else folders[0].parent
    for name, path in apps:
        folder = Path(path).resolve()
        own = not (name == "netrun" or name.startswith("netrun."))
        if own and folder.is_relative_to(base) and not _LIBRARY_PARTS & set(folder.parts):
            folders.append(folder)
    unique = sorted(set(folders))
    sources = [f for f in unique if not any(f != o and f.is_relative_to(o) for o in unique)]
    root = base
    if not all(source.is_relative_to(base) for source in sources):
        root = Path(os.path.commonpath([base, *sources]))
    return root, sources


def _netrun_folders() -> list[Path]:
    netrun = sys.modules.get("netrun") or importlib.import_module("netrun")
    return [Path(path).resolve() for path in getattr(netrun, "__path__", [])]


def _scanner(
    root: Path, sources: Sequence[Path] | None, excluded: Sequence[Path]
) -> TenantEscapePathScanner:
    """A scanner of ``root`` reading only ``sources`` (all of it when ``None``), never
    ``excluded``: raises ImportError when netrun.rbac's scanner is not available."""
    from netrun.rbac.scanner import DEFAULT_EXCLUDES, TenantEscapePathScanner

    class ProjectScanner(TenantEscapePathScanner):
        def iter_files(self) -> Iterator[Path]:
            if sources is None:
                candidates: Iterable[Path] = super().iter_files()
            else:
                candidates = (
                    path
                    for source in sources
                    for path in sorted(source.rglob("*.py"))
                    if not set(DEFAULT_EXCLUDES) & set(path.relative_to(source).parts)
                )
            for path in candidates:
                if not any(path.resolve().is_relative_to(folder) for folder in excluded):
                    yield path

    return ProjectScanner(root)


def check_tenant_isolation(project_root: Path | str | None = None) -> CheckResult:
    """``TenantEscapePathScanner`` finds no cross-tenant escape path in the project's code.

    Only the project's own code is read: by default its own source folders
    (:func:`project_sources`), else everything under ``project_root``; netrun's own modules
    never (the suite checks them, with their sanctioned helpers, in ``tenant_escapes``).
    """
    if not django_ready():
        return CheckResult("tenant_isolation", "skip", _NOT_CONFIGURED)
    if not _installed("netrun.rbac"):
        return CheckResult("tenant_isolation", "skip", "skipped: netrun.rbac is not installed")
    sources: list[Path] | None = None
    if project_root is not None:
        root = Path(project_root).resolve()
    else:
        from django.apps import apps
        from django.conf import settings

        root, sources = project_sources(
            settings.SETTINGS_MODULE,
            getattr(settings, "BASE_DIR", None),
            [(config.name, Path(config.path)) for config in apps.get_app_configs()],
        )
    try:
        scanner = _scanner(root, sources, _netrun_folders())
    except ImportError:
        return CheckResult(
            "tenant_isolation", "skip", "skipped: not available (netrun.rbac.scanner)"
        )
    violations = scanner.scan()
    where = (
        str(root)
        if sources is None
        else ", ".join(str(source.relative_to(root)) for source in sources) + f" in {root}"
    )
    details = [
        f"{item.path}:{item.line} {item.rule} {item.message}: {item.snippet}" for item in violations
    ]
    if violations:
        return CheckResult(
            "tenant_isolation", "fail", f"{len(violations)} escape path(s) in {where}", details
        )
    return CheckResult(
        "tenant_isolation",
        "pass",
        f"no escape path in {where} ({len(scanner.scoped_models)} tenant-scoped models)",
    )


def _rls_alias() -> str:
    try:
        from netrun.rbac.conf import conf
    except ImportError:
        return "default"
    return conf.rls_database


def _uses_rls_engine(connection: Any) -> bool:
    try:
        wrapper = importlib.import_module(f"{RLS_ENGINE}.base").DatabaseWrapper
    except (ImportError, AttributeError):
        return False
    return isinstance(connection, wrapper)


def check_rls(using: str | None = None) -> CheckResult:
    """PostgreSQL row-level security holds for the alias the app connects with.

    ``using`` defaults to ``NETRUN_RBAC_RLS_DATABASE``. Skipped, saying why, on another
    database, and when the alias's engine is not :data:`RLS_ENGINE`: without it no tenant
    is ever set on the session, so the project does not use RLS (``--fail-on-skip`` makes
    that a failure). The validator's errors fail; its warnings (``W1NN``) warn.
    """
    if not django_ready():
        return CheckResult("rls", "skip", _NOT_CONFIGURED)
    from django.conf import settings
    from django.db import connections

    alias = using or _rls_alias()
    if alias not in settings.DATABASES:
        return CheckResult(
            "rls",
            "fail",
            f"the database alias {alias!r} (NETRUN_RBAC_RLS_DATABASE) is not in DATABASES",
        )
    connection = connections[alias]
    vendor = connection.vendor
    if vendor != "postgresql":
        return CheckResult(
            "rls", "skip", f"skipped: the {alias!r} database is {vendor}; RLS needs PostgreSQL"
        )
    if not _uses_rls_engine(connection):
        engine = connection.settings_dict.get("ENGINE")
        return CheckResult(
            "rls",
            "skip",
            f"skipped: the {alias!r} database's ENGINE is {engine!r}, not {RLS_ENGINE!r}: "
            "the project does not use row-level security",
        )
    module_name, _, name = RLS_VALIDATOR.rpartition(".")
    try:
        validate = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError):
        return CheckResult("rls", "skip", f"skipped: not available ({RLS_VALIDATOR})")
    try:
        problems = list(validate(using=alias) or ())
    except Exception as error:
        return CheckResult("rls", "fail", f"validation raised {type(error).__name__}: {error}")
    errors = [str(p) for p in problems if getattr(p, "is_error", True)]
    warnings = [str(p) for p in problems if not getattr(p, "is_error", True)]
    if errors:
        return CheckResult("rls", "fail", f"{len(errors)} problem(s)", errors + warnings)
    if warnings:
        return CheckResult("rls", "warn", f"{len(warnings)} warning(s)", warnings)
    return CheckResult("rls", "pass", f"row-level security policies validated on {alias!r}")
