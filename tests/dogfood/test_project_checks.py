"""The project checks: middleware order, system checks, a round trip, tenancy, RLS."""

from __future__ import annotations

import sys
import textwrap
import types
from pathlib import Path

import pytest
from django.conf import settings
from django.core import checks
from django.db import connection
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
    monkeypatch.setattr(checks, "run_checks", lambda: [warning, error])
    failed = project.check_system_checks()
    assert failed.status == "fail"
    assert failed.details == ["dogfood.E001: broken", "dogfood.W001: shaky"]
    monkeypatch.setattr(checks, "run_checks", lambda: [warning])
    assert project.check_system_checks().status == "warn"


@pytest.mark.urls("tests.dogfood.urls")
def test_round_trip_returns_the_envelope_and_the_correlation_id() -> None:
    result = project.check_round_trip()
    assert result.status == "pass", result.details


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


def test_tenant_isolation_defaults_to_base_dir(tmp_path: Path) -> None:
    with override_settings(BASE_DIR=tmp_path):
        result = project.check_tenant_isolation()
    assert result.status == "pass"
    assert str(tmp_path) in result.summary


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


@pytest.fixture
def on_postgres(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The check's view of the database only: it asks ``vendor`` and nothing else first."""
    monkeypatch.setattr(connection, "vendor", "postgresql")
    return monkeypatch


def _validator(monkeypatch: pytest.MonkeyPatch, validate: object) -> None:
    module = types.ModuleType("netrun.rbac.db")
    module.validate_rls_policies = validate  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "netrun.rbac.db", module)


def test_rls_without_a_validator_is_skipped_not_passed(on_postgres: pytest.MonkeyPatch) -> None:
    on_postgres.setitem(sys.modules, "netrun.rbac.db", types.ModuleType("netrun.rbac.db"))
    result = project.check_rls()
    assert (result.status, result.summary) == (
        "skip", "skipped: not available (netrun.rbac.db.validate_rls_policies)",
    )  # fmt: skip


def test_rls_validator_results(on_postgres: pytest.MonkeyPatch) -> None:
    _validator(on_postgres, lambda using: [])
    assert project.check_rls().status == "pass"
    _validator(on_postgres, lambda using: ["helpdesk_ticket: RLS not forced"])
    failed = project.check_rls()
    assert (failed.status, failed.details) == ("fail", ["helpdesk_ticket: RLS not forced"])

    def broken(using: str) -> list[str]:
        raise RuntimeError("no connection")

    _validator(on_postgres, broken)
    assert project.check_rls().summary == "validation raised RuntimeError: no connection"


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
