"""Key pairs, the JWT factory and the authenticated clients."""

from __future__ import annotations

from typing import Any

import pytest

from netrun.auth import AuthConfig, JWTManager, get_jwt_manager
from netrun.pytest_fixtures.keys import KeyPair


def test_rsa_key_pair_is_pem_text_that_unpacks_like_the_seeds_tuple(
    netrun_rsa_key_pair: KeyPair, rsa_key_pair: KeyPair
) -> None:
    private_pem, public_pem = rsa_key_pair
    assert rsa_key_pair is netrun_rsa_key_pair
    assert private_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert rsa_key_pair.algorithm == "RS256"


def test_ec_key_pair_signs_es256_tokens(netrun_ec_key_pair: KeyPair) -> None:
    manager = JWTManager(
        AuthConfig(
            jwt_algorithm="ES256",
            jwt_private_key=netrun_ec_key_pair.private_pem,
            jwt_public_key=netrun_ec_key_pair.public_pem,
        )
    )
    token = manager.create_access_token("ada")
    assert manager.verify(token)["sub"] == "ada"


def test_jwt_factory_issues_tokens_with_roles_tenant_and_claims(netrun_jwt_factory: Any) -> None:
    claims = netrun_jwt_factory.verify(
        netrun_jwt_factory("42", roles=["agent"], tenant_id="acme", plan="pro")
    )
    assert (claims["sub"], claims["roles"], claims["tenant_id"], claims["plan"]) == (
        "42", ["agent"], "acme", "pro",
    )  # fmt: skip


def test_auth_token_factory_keeps_the_seeds_default_role(auth_token_factory: Any) -> None:
    claims = auth_token_factory.manager.verify(auth_token_factory(user_id="u1"))
    assert claims["roles"] == ["user"]


def test_jwt_settings_make_the_shared_manager_verify_factory_tokens(
    netrun_jwt_settings: KeyPair, netrun_jwt_factory: Any
) -> None:
    token = netrun_jwt_factory("7", tenant_id="acme")
    assert get_jwt_manager().verify(token)["tenant_id"] == "acme"


pytestmark_urls = pytest.mark.urls("tests.pytest_fixtures.urls")


@pytestmark_urls
def test_api_client_is_authenticated_as_a_member_of_a_new_tenant(netrun_api_client: Any) -> None:
    client = netrun_api_client(roles=["agent", "viewer"])
    response = client.get("/whoami/")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "user": str(client.user.pk),
        "roles": ["agent", "viewer"],
        "ctx_user": str(client.user.pk),
        "ctx_tenant": str(client.tenant.pk),
    }
    membership = client.identity.membership
    assert (membership.user, membership.tenant, membership.role) == (
        client.user, client.tenant, "agent",
    )  # fmt: skip
    assert client.token == client.identity.token
    assert client.identity.tenant_id == str(client.tenant.pk)


@pytestmark_urls
def test_api_client_acts_for_a_given_user_and_tenant(
    netrun_api_client: Any, netrun_tenant_factory: Any, netrun_user_factory: Any
) -> None:
    tenant = netrun_tenant_factory(slug="globex")
    user = netrun_user_factory()
    client = netrun_api_client(tenant=tenant, user=user, roles=["admin"])
    body = client.get("/whoami/").json()
    assert (body["user"], body["ctx_tenant"]) == (str(user.pk), str(tenant.pk))


@pytestmark_urls
def test_api_client_with_a_tenant_id_string_makes_no_membership(netrun_api_client: Any) -> None:
    client = netrun_api_client(tenant="tenant-by-id", roles=[])
    assert client.identity.membership is None
    assert client.get("/whoami/").json()["ctx_tenant"] == "tenant-by-id"


@pytestmark_urls
def test_a_request_without_the_token_is_refused(netrun_api_client: Any) -> None:
    client = netrun_api_client()
    client.credentials()
    assert client.get("/whoami/").json()["user"] is None


@pytestmark_urls
def test_django_client_sends_the_bearer_token(netrun_django_client: Any) -> None:
    client = netrun_django_client(roles=["agent"])
    response = client.get("/whoami/")
    assert response.json()["user"] == str(client.user.pk)
    assert response.json()["ctx_tenant"] == str(client.tenant.pk)
    assert client.token.count(".") == 2
