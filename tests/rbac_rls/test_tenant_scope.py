"""The tenant-scope settings: their system checks and their lazily read values."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from netrun.errors import ConfigurationError
from netrun.rbac import checks
from netrun.rbac.conf import conf

pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")

RLS = "netrun.rbac.db.backends.postgresql"


def ids(messages: list[Any]) -> list[str]:
    return [m.id for m in messages]


def databases(**entry: Any) -> dict[str, dict[str, Any]]:
    return {
        "default": {"ENGINE": RLS, "NAME": "app", **entry},
        "other": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
    }


def test_the_defaults_pass_and_read_as_session_and_auto() -> None:
    assert checks.check_tenant_scope() == []
    assert (conf.checked_tenant_scope(), conf.checked_tenant_session_check()) == ("session", "auto")


@override_settings(NETRUN_RBAC_TENANT_SCOPE="statement")
def test_e007_unknown_scope_is_reported_and_refused_at_use() -> None:
    assert ids(checks.check_tenant_scope()) == ["netrun.rbac.E007"]
    with pytest.raises(ConfigurationError, match="NETRUN_RBAC_TENANT_SCOPE must be one of"):
        conf.checked_tenant_scope()


@override_settings(NETRUN_RBAC_TENANT_SESSION_CHECK="sometimes")
def test_e008_unknown_session_check() -> None:
    assert ids(checks.check_tenant_scope()) == ["netrun.rbac.E008"]
    with pytest.raises(ConfigurationError, match="NETRUN_RBAC_TENANT_SESSION_CHECK"):
        conf.checked_tenant_session_check()


@override_settings(NETRUN_RBAC_TENANT_SCOPE="transaction", DATABASES=databases())
def test_e009_transaction_scope_with_server_side_cursors() -> None:
    messages = checks.check_tenant_scope()
    assert ids(messages) == ["netrun.rbac.E009"]
    assert messages[0].obj == "DATABASES['default']"


@override_settings(
    NETRUN_RBAC_TENANT_SCOPE="transaction",
    DATABASES=databases(DISABLE_SERVER_SIDE_CURSORS=True),
)
def test_transaction_scope_without_server_side_cursors_passes() -> None:
    assert checks.check_tenant_scope() == []


@override_settings(NETRUN_RBAC_TENANT_SESSION_CHECK="off", DATABASES=databases())
def test_w007_session_scope_with_its_check_off() -> None:
    assert ids(checks.check_tenant_scope()) == ["netrun.rbac.W007"]


@pytest.mark.django_db
@override_settings(NETRUN_RBAC_TENANT_SCOPE="transaction", DATABASES=databases())
def test_manage_check_fails_on_an_unsafe_combination() -> None:
    with pytest.raises(SystemCheckError, match=r"netrun\.rbac\.E009"):
        call_command("check")
