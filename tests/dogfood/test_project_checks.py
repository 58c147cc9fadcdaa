"""The project checks: middleware order, system checks, a round trip, tenancy, RLS."""

from __future__ import annotations

import sys
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core import checks
from django.test import override_settings

from netrun.dogfood import project
from netrun.dogfood.project import AUTHENTICATION, COMMON, CORRELATION, ERROR_ENVELOPE, TENANT


def _without(*paths: str) -> list[str]:
    return [path for path in settings.MIDDLEWARE if path not in paths]


def test_the_suites_middleware_is_in_order() -> None:
    result = project.check_middleware()
    assert result.status == "pass", result.details


def test_rbac_without_tenant_middleware_is_noted_not_failed() -> None:
    result = project.check_middleware(_without(TENANT))
    assert result.status == "pass"
    assert any(f"without {TENANT}" in detail for detail in result.details)


@pytest.mark.parametrize(
    ("middleware", "problem"),
    [
        ([*_without(CORRELATION), CORRELATION], "it must be first"),
        (_without(CORRELATION), "CorrelationIdMiddleware is missing"),
        (
            [
                *_without("netrun.cors.middleware.CorsMiddleware"),
                "netrun.cors.middleware.CorsMiddleware",
            ],
            f"comes after {COMMON}",
        ),
        (_without(ERROR_ENVELOPE), "ErrorEnvelopeMiddleware is missing"),
        (
            [CORRELATION, TENANT, *_without(CORRELATION, TENANT)],
            f"{TENANT} comes before {AUTHENTICATION[0]}",
        ),
    ],
)
def test_a_wrong_middleware_stack_fails(middleware: list[str], problem: str) -> None:
    with override_settings(MIDDLEWARE=middleware):
        result = project.check_middleware()
    assert result.status == "fail"
    assert any(problem in detail for detail in result.details), result.details


def test_tenant_middleware_after_auth_and_no_cors_are_fine() -> None:
    stack = [*_without("netrun.cors.middleware.CorsMiddleware", TENANT), TENANT]
    result = project.check_middleware(stack)
    assert result.status == "pass"
    assert any("no CorsMiddleware" in detail for detail in result.details)


def test_system_checks_pass_on_the_suite() -> None:
    result = project.check_system_checks()
    assert result.status == "pass", result.details


def test_system_check_errors_fail_and_warnings_warn(monkeypatch: pytest.MonkeyPatch) -> None:
    error = checks.Error("broken", id="dogfood.E001")
    warning = checks.Warning("shaky", id="dogfood.W001")
    monkeypatch.setattr(checks, "run_checks", lambda **kwargs: [warning, error])
    failed = project.check_system_checks()
    assert failed.status == "fail"
    assert failed.details == ["dogfood.E001: broken", "dogfood.W001: shaky"]
    monkeypatch.setattr(checks, "run_checks", lambda **kwargs: [warning])
    assert project.check_system_checks().status == "warn"


@pytest.mark.urls("tests.dogfood.urls")
def test_round_trip_returns_the_envelope_and_the_correlation_id() -> None:
    result = project.check_round_trip()
    assert result.status == "pass", result.details


@pytest.mark.urls("tests.dogfood.urls")
@override_settings(DEBUG=True)
def test_round_trip_probes_as_production_does_even_under_debug() -> None:
    # Under DEBUG Django answers an unrouted path with its technical 404 page, never calling
    # handler404: the probe runs with DEBUG off, so a development project passes too.
    result = project.check_round_trip()
    assert result.status == "pass", result.details
    assert settings.DEBUG is True  # and the project's setting is left as it was


@pytest.mark.urls("tests.dogfood.urls_plain")
def test_round_trip_fails_without_netrun_404_handler() -> None:
    # urls_plain routes no handler404: Django's HTML 404 page answers an unrouted path.
    result = project.check_round_trip()
    assert result.status == "fail"
    assert any("handler404" in detail for detail in result.details)


@pytest.mark.urls("tests.dogfood.urls")
def test_round_trip_fails_without_the_correlation_middleware() -> None:
    with override_settings(MIDDLEWARE=_without(CORRELATION)):
        result = project.check_round_trip()
    assert result.status == "fail"
    assert any("expected the one sent" in d for d in result.details)
    assert any("envelope correlation_id" in d for d in result.details)


@pytest.mark.urls("tests.dogfood.urls")
def test_round_trip_fails_when_the_path_exists() -> None:
    result = project.check_round_trip("/health/")
    assert result.status == "fail"
    assert any("expected 404" in d for d in result.details)


MODEL = """
    from django.db import models
    from netrun.rbac.models import TenantScopedModel

    class Ticket(TenantScopedModel):
        title = models.CharField(max_length=100)
"""


def _project(root: Path, views: str) -> Path:
    (root / "helpdesk").mkdir(parents=True)
    (root / "helpdesk" / "models.py").write_text(textwrap.dedent(MODEL))
    (root / "helpdesk" / "views.py").write_text(textwrap.dedent(views))
    return root


def test_tenant_isolation_passes_on_a_scoped_project(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        "from helpdesk.models import Ticket\n\ndef tickets():\n    return Ticket.objects.all()\n",
    )
    result = project.check_tenant_isolation(root)
    assert result.status == "pass", result.details
    assert "1 tenant-scoped models" in result.summary


def test_tenant_isolation_fails_on_an_escape_path(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        "from helpdesk.models import Ticket\n\ndef every_ticket():\n    return Ticket.objects.raw('SELECT * FROM helpdesk_ticket')\n",
    )
    result = project.check_tenant_isolation(root)
    assert result.status == "fail"
    assert any("views.py:4 NR003" in detail for detail in result.details)


def _layout(root: Path) -> None:
    """A repository: the project package, an app beside it, tests, a virtualenv."""
    files = {
        "mysite/__init__.py": "",
        "mysite/settings.py": "",
        "mysite/helpdesk/__init__.py": "",
        "mysite/helpdesk/models.py": MODEL,
        "polls/__init__.py": "",
        "polls/views.py": "def index():\n    return None\n",
        "tests/test_views.py": "def test_raw(Ticket):\n    Ticket.objects.raw('SELECT 1')\n",
        ".venv/lib/site-packages/lib/__init__.py": "",
        "site/lib/site-packages/other/__init__.py": "",
    }
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))


@pytest.fixture
def repository(tmp_path: Path) -> Iterator[Path]:
    _layout(tmp_path)
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m == "mysite" or m.startswith("mysite.")]:
        del sys.modules[name]


def test_project_sources_are_the_settings_package_and_the_projects_own_apps(
    repository: Path,
) -> None:
    root, sources = project.project_sources(
        "mysite.settings",
        repository,
        [
            ("mysite.helpdesk", repository / "mysite" / "helpdesk"),  # nested: folded in
            ("polls", repository / "polls"),
            ("lib", repository / ".venv" / "lib" / "site-packages" / "lib"),
            ("other", repository / "site" / "lib" / "site-packages" / "other"),
            ("netrun.rbac", Path(project.__file__).parents[1] / "rbac"),
            ("outside", Path(pytest.__file__).parent),
        ],
    )
    assert root == repository.resolve()
    assert sources == [repository.resolve() / "mysite", repository.resolve() / "polls"]


def test_project_sources_default_to_the_settings_packages_parent(repository: Path) -> None:
    root, sources = project.project_sources("mysite.settings", None, [])
    assert (root, sources) == (repository.resolve(), [repository.resolve() / "mysite"])


def test_tenant_isolation_scans_the_project_not_its_tests(repository: Path) -> None:
    views = repository / "mysite" / "helpdesk" / "views.py"
    views.write_text(
        "from .models import Ticket\n\ndef tickets():\n    return Ticket.objects.all()\n"
    )
    with override_settings(SETTINGS_MODULE="mysite.settings", BASE_DIR=repository):
        result = project.check_tenant_isolation()
    # tests/test_views.py calls raw(), and is not the project's code.
    assert result.status == "pass", result.details
    assert result.summary == (
        f"no escape path in mysite in {repository.resolve()} (1 tenant-scoped models)"
    )

    views.write_text(
        "from .models import Ticket\n\ndef every():\n    return Ticket.objects.raw('x')\n"
    )
    with override_settings(SETTINGS_MODULE="mysite.settings", BASE_DIR=repository):
        failed = project.check_tenant_isolation()
    assert failed.status == "fail"
    assert [d.split(" ")[0:2] for d in failed.details] == [["mysite/helpdesk/views.py:4", "NR003"]]


def test_tenant_isolation_never_reports_netrun_itself() -> None:
    # netrun.rbac's own raw() override and its check of _base_manager are its helpers; an
    # explicit root that holds netrun (an editable install) must not report them.
    rbac = Path(project.__file__).parents[1] / "rbac"
    result = project.check_tenant_isolation(rbac)
    assert result.status == "pass", result.details
    assert result.summary == f"no escape path in {rbac.resolve()} (0 tenant-scoped models)"


def test_tenant_isolation_is_skipped_without_rbac(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(project, "_installed", lambda app: False)
    result = project.check_tenant_isolation()
    assert (result.status, result.summary) == ("skip", "skipped: netrun.rbac is not installed")


def test_tenant_isolation_is_skipped_when_the_scanner_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "netrun.rbac.scanner", types.ModuleType("netrun.rbac.scanner"))
    result = project.check_tenant_isolation()
    assert result.status == "skip"
    assert result.summary.startswith("skipped: not available")


def test_rls_is_skipped_on_sqlite() -> None:
    result = project.check_rls()
    assert result.status == "skip"
    assert "is sqlite; RLS needs PostgreSQL" in result.summary


def test_rls_alias_missing_from_databases_fails_naming_the_setting() -> None:
    # The real PostgreSQL cases are in test_rls_check_postgres.py.
    with override_settings(NETRUN_RBAC_RLS_DATABASE="app"):
        failed = project.check_rls()
    assert (failed.status, failed.summary) == (
        "fail", "the database alias 'app' (NETRUN_RBAC_RLS_DATABASE) is not in DATABASES",
    )  # fmt: skip


def test_system_checks_registered_inside_the_guard_are_undone() -> None:
    def dogfood_probe_check(**kwargs: object) -> list[checks.CheckMessage]:
        return [checks.Warning("registered by an import", id="dogfood.W999")]

    with project.preserved_system_checks():
        registered = checks.register(dogfood_probe_check)
        assert registered in checks.registry.registry.registered_checks
    assert registered not in checks.registry.registry.registered_checks
    assert project.check_system_checks().status == "pass"


def test_every_project_check_skips_without_django_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(project, "django_settings_configured", lambda: False)
    for check in (
        project.check_middleware,
        project.check_system_checks,
        project.check_round_trip,
        project.check_tenant_isolation,
        project.check_rls,
    ):
        result = check()
        assert result.status == "skip"
        assert result.summary.startswith("skipped: Django settings not configured")
