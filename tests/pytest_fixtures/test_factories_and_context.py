"""factory-boy factories, the tenant fixtures and the request-context fixtures."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from netrun.core.context import current_correlation_id, current_tenant_id, current_user_id
from netrun.pytest_fixtures.factories import DEFAULT_PASSWORD


def test_user_factory_makes_saved_users_with_a_known_password(netrun_user_factory: Any) -> None:
    user = netrun_user_factory()
    assert get_user_model().objects.filter(pk=user.pk).exists()
    assert user.check_password(DEFAULT_PASSWORD)
    assert user.email.endswith("@netrun.test")


def test_membership_factory_links_a_new_user_to_a_new_tenant(
    netrun_membership_factory: Any,
) -> None:
    membership = netrun_membership_factory(role="agent")
    assert membership.pk is not None
    assert membership.role == "agent"
    assert membership.tenant.slug.startswith("tenant-")


def test_tenant_fixture_is_saved_and_bound(netrun_tenant: Any) -> None:
    assert netrun_tenant.pk is not None
    assert current_tenant_id() == str(netrun_tenant.pk)


def test_tenant_context_binds_until_the_test_ends(netrun_tenant_context: Any) -> None:
    assert netrun_tenant_context("acme", user="ada") == "acme"
    assert (current_tenant_id(), current_user_id()) == ("acme", "ada")
    netrun_tenant_context("globex")
    assert current_tenant_id() == "globex"


def test_tenant_context_refuses_no_tenant(netrun_tenant_context: Any) -> None:
    import pytest

    with pytest.raises(ValueError, match="needs a tenant"):
        netrun_tenant_context(None)


def test_the_context_is_empty_again_after_the_fixtures() -> None:
    assert current_tenant_id() is None
    assert current_user_id() is None


def test_fixed_correlation_and_tenant_ids(
    netrun_correlation_id: str, netrun_tenant_id: str
) -> None:
    assert current_correlation_id() == netrun_correlation_id == "test-correlation-id-0001"
    assert current_tenant_id() == netrun_tenant_id
