"""Provider settings -> ProviderConfig: defaults per type, and refused configurations."""

from __future__ import annotations

import pytest

from netrun.oauth import DEFAULT_ID_TOKEN_ALGORITHMS, build_provider
from netrun.oauth._providers import unknown_keys


def test_entra_defaults_to_the_common_endpoint() -> None:
    config = build_provider("entra", {"type": "entra", "client_id": "id"})
    assert config.tenant == "common"
    assert config.discovery_url == (
        "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
    )
    assert config.scopes == ("openid", "profile", "email")
    assert config.is_oidc


def test_entra_single_tenant_and_allowed_tenants() -> None:
    config = build_provider(
        "entra", {"type": "entra", "client_id": "id", "tenant": "t-1", "allowed_tenants": ["t-1"]}
    )
    assert "/t-1/v2.0/" in (config.discovery_url or "")
    assert config.allowed_tenants == ("t-1",)


def test_google_uses_its_discovery_document() -> None:
    config = build_provider(
        "google", {"type": "google", "client_id": "id", "scopes": "openid email"}
    )
    assert config.discovery_url == "https://accounts.google.com/.well-known/openid-configuration"
    assert config.scopes == ("openid", "email")


def test_github_is_plain_oauth2_with_api_endpoints() -> None:
    config = build_provider("github", {"type": "github", "client_id": "id"})
    assert not config.is_oidc
    assert config.token_endpoint == "https://github.com/login/oauth/access_token"
    assert config.emails_endpoint == "https://api.github.com/user/emails"


def test_the_client_secret_never_appears_in_repr() -> None:
    config = build_provider("g", {"type": "google", "client_id": "id", "client_secret": "hunter2"})
    assert "hunter2" not in repr(config)


def test_never_allowed_algorithms_are_filtered_and_refused() -> None:
    assert "none" not in DEFAULT_ID_TOKEN_ALGORITHMS
    with pytest.raises(ValueError, match="HS256"):
        build_provider("x", {"type": "google", "client_id": "i", "id_token_algorithms": ["HS256"]})
    config = build_provider(
        "x", {"type": "google", "client_id": "i", "id_token_algorithms": "ES256"}
    )
    assert config.allowed_algorithms == ("ES256",)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"type": "okta", "client_id": "i"}, "unknown provider type"),
        ({"type": "google"}, "client_id is required"),
        ({"type": "oidc", "client_id": "i"}, "needs discovery_url"),
        ({"type": "google", "client_id": "i", "token_endpoint_auth_method": "jwt"}, "unsupported"),
    ],
)
def test_invalid_settings_raise_value_errors_that_say_why(
    options: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build_provider("x", options)


def test_unknown_keys_are_reported() -> None:
    assert unknown_keys({"type": "google", "client_secrte": "x"}) == ["client_secrte"]
