"""The hooks after a verified sign-in: tenant mapping, token issuing, usernames."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from netrun.errors import ConfigurationError
from netrun.oauth import ExternalIdentity
from netrun.oauth.login import _new_username, issue_netrun_jwt_pair, load_hook, resolve_tenant
from tests.oauth import fakes


def identity(**claims: Any) -> ExternalIdentity:
    return ExternalIdentity(
        provider="entra",
        subject="s-1",
        email=claims.pop("email", "ada@acme.test"),
        email_verified=claims.pop("email_verified", True),
        claims=claims,
    )


def test_tid_wins_when_it_comes_first(settings: Any) -> None:
    settings.NETRUN_OAUTH_TENANT_MAP = {"tid-1": "from-tid", "acme.test": "from-domain"}
    assert resolve_tenant(identity(tid="tid-1")) == "from-tid"
    settings.NETRUN_OAUTH_TENANT_RULES = ["email_domain", "tid"]
    assert resolve_tenant(identity(tid="tid-1")) == "from-domain"


def test_only_mapped_values_become_tenants(settings: Any) -> None:
    settings.NETRUN_OAUTH_TENANT_MAP = {}
    assert resolve_tenant(identity(tid="tid-1")) is None


def test_an_unverified_email_domain_maps_to_nothing(settings: Any) -> None:
    settings.NETRUN_OAUTH_TENANT_MAP = {"acme.test": "acme"}
    assert resolve_tenant(identity(email_verified=False)) is None
    assert resolve_tenant(identity(email="ADA@ACME.TEST")) == "acme"


def test_unknown_rules_are_skipped(settings: Any) -> None:
    settings.NETRUN_OAUTH_TENANT_RULES = "ip_range"
    settings.NETRUN_OAUTH_TENANT_MAP = {"acme.test": "acme"}
    assert resolve_tenant(identity()) is None


def test_the_default_issuer_uses_the_configured_jwt_manager(settings: Any) -> None:
    settings.NETRUN_OAUTH_JWT_MANAGER = "tests.oauth.fakes.get_jwt_manager"
    fakes.ISSUED.clear()
    user = User(pk=7, username="ada")
    tokens = issue_netrun_jwt_pair(user=user, identity=identity(), tenant_id="acme")
    assert tokens == {
        "access_token": "access-for-7", "refresh_token": "refresh-for-7", "token_type": "Bearer",
    }  # fmt: skip
    assert fakes.ISSUED[1] == {"kind": "refresh", "user_id": "7", "tenant_id": "acme"}


def test_a_missing_jwt_manager_is_a_configuration_error_naming_the_setting(
    settings: Any,
) -> None:
    settings.NETRUN_OAUTH_JWT_MANAGER = "netrun.auth.no_such_factory"
    with pytest.raises(ConfigurationError, match="NETRUN_OAUTH_JWT_MANAGER"):
        issue_netrun_jwt_pair(user=User(pk=1), identity=identity(), tenant_id=None)


def test_load_hook_names_the_setting() -> None:
    with pytest.raises(ConfigurationError, match=r"NETRUN_OAUTH_X = 'no\.such\.path'"):
        load_hook("NETRUN_OAUTH_X", "no.such.path")


def test_long_subjects_still_give_unique_usernames_within_the_limit() -> None:
    a = _new_username(ExternalIdentity(provider="p", subject="x" * 200 + "a"), 150)
    b = _new_username(ExternalIdentity(provider="p", subject="x" * 200 + "b"), 150)
    assert len(a) == len(b) == 150
    assert a != b
    assert _new_username(ExternalIdentity(provider="p", subject="a b/c"), 150) == "p_a_b_c"
