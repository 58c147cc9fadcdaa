"""One test per system check, and call_command("check")."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings

from netrun.rbac import checks
from netrun.rbac.managers import TenantScopedManager
from tests.rbac.testapp.models import Ticket


def ids(messages: list) -> list[str]:  # type: ignore[type-arg]
    return [m.id for m in messages]


@pytest.mark.django_db
def test_the_project_passes_its_checks() -> None:
    call_command("check", "--fail-level", "WARNING")


@override_settings(NETRUN_TENANT_MODEL="no_dot")
def test_e001_malformed_tenant_model() -> None:
    assert ids(checks.check_tenant_model()) == ["netrun.rbac.E001"]


@override_settings(NETRUN_TENANT_MODEL="missing.Tenant")
def test_e002_tenant_model_not_installed() -> None:
    assert ids(checks.check_tenant_model()) == ["netrun.rbac.E002"]


def test_e003_unscoped_manager(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from django.db import models

    plain = models.Manager()
    plain.name = "plain"
    monkeypatch.setattr(
        type(Ticket._meta),
        "default_manager",
        property(lambda self: plain if self.model is Ticket else self.managers[0]),
    )
    assert "netrun.rbac.E003" in ids(checks.check_managers())
    assert isinstance(Ticket._base_manager, TenantScopedManager)


@override_settings(NETRUN_RBAC_TENANT_STRATEGIES=["jwt", "cookie"])
def test_e004_unknown_strategy() -> None:
    assert ids(checks.check_strategies()) == ["netrun.rbac.E004"]


def test_e005_middleware_order() -> None:
    with override_settings(MIDDLEWARE=[checks.MIDDLEWARE_PATH, checks.AUTH_MIDDLEWARE]):
        assert ids(checks.check_middleware()) == ["netrun.rbac.E005"]
    with override_settings(MIDDLEWARE=[checks.AUTH_MIDDLEWARE, checks.MIDDLEWARE_PATH]):
        assert checks.check_middleware() == []


def test_e006_backends() -> None:
    with override_settings(NETRUN_RBAC_BACKENDS=["netrun.rbac.backends.Missing"]):
        assert ids(checks.check_backends()) == ["netrun.rbac.E006"]
    from netrun.core.deps import is_available

    with override_settings(NETRUN_RBAC_BACKENDS=["netrun.rbac.backends.CasbinBackend"]):
        expected = [] if is_available("casbin") else ["netrun.rbac.E006"]
        assert ids(checks.check_backends()) == expected


@override_settings(NETRUN_RBAC_TENANT_STRATEGIES="not a list", NETRUN_RBAC_BACKENDS=3)
def test_invalid_settings_are_left_to_the_config_check() -> None:
    assert checks.check_strategies() == []
    assert checks.check_backends() == []
