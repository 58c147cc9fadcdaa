"""Azure Key Vault through a fake SecretClient: names listed at build, values fetched on use."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from netrun.config import KeyVaultSecretStr, Source, configure_key_vault
from netrun.config.keyvault import configured_key_vault, key_vault_client
from netrun.core.deps import MissingDependencyError
from netrun.errors import ConfigurationError
from tests.config.fakes import FakeSecretClient
from tests.config.shop import VaultConfig

SECRETS = {"shop-db-password": "vault-db-password-0123", "openai-api-key": "sk-vault-0123456789"}


def test_secret_is_fetched_when_first_read_and_only_once() -> None:
    vault = FakeSecretClient(SECRETS)
    config = VaultConfig(_key_vault=vault)
    assert vault.listed == 1
    assert vault.fetched == []  # building the settings fetched no value

    assert isinstance(config.db_password, KeyVaultSecretStr)
    assert str(config.db_password) == "**********"  # printing does not fetch either
    assert vault.fetched == []

    assert config.db_password.get_secret_value() == "vault-db-password-0123"
    assert config.db_password.get_secret_value() == "vault-db-password-0123"
    assert vault.fetched == ["shop-db-password"]
    assert config.db_password.fetched
    assert config.value_sources()["db_password"].source is Source.KEY_VAULT
    assert config.value_sources()["db_password"].location == "shop-db-password"


def test_unused_secret_is_never_fetched() -> None:
    vault = FakeSecretClient(SECRETS)
    config = VaultConfig(_key_vault=vault)
    assert config.db_password.get_secret_value()
    assert "openai-api-key" not in vault.fetched
    assert config.openai_key is not None  # field-level key_vault name found the secret
    assert config.openai_key.secret_name == "openai-api-key"  # type: ignore[attr-defined]


def test_higher_sources_win_without_any_vault_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_DB_PASSWORD", "from-the-environment")
    vault = FakeSecretClient(SECRETS)
    config = VaultConfig(_key_vault=vault)
    assert config.db_password.get_secret_value() == "from-the-environment"
    assert vault.fetched == []


def test_disabled_or_absent_secrets_are_not_offered() -> None:
    vault = FakeSecretClient({"shop-db-password": "x" * 20}, disabled=("shop-db-password",))
    with pytest.raises(Exception, match="SHOP_DB_PASSWORD: required, not set"):
        VaultConfig(_key_vault=vault)


def test_configured_client_is_used_by_every_class() -> None:
    vault = FakeSecretClient(SECRETS)
    configure_key_vault(vault)
    assert key_vault_client() is vault
    assert VaultConfig().db_password.get_secret_value() == "vault-db-password-0123"
    configure_key_vault(None)
    assert key_vault_client() is None


def test_configured_key_vault_reports_the_client_and_builds_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AZURE_KEY_VAULT_URL", "https://example.vault.azure.net/")
    assert configured_key_vault() is None  # the URL alone builds no client here
    vault = FakeSecretClient(SECRETS)
    configure_key_vault(vault)
    try:
        assert configured_key_vault() is vault
    finally:
        configure_key_vault(None)


def test_vault_failure_at_read_time_is_a_configuration_error() -> None:
    class Flaky(FakeSecretClient):
        def get_secret(self, name: str, version: str | None = None, **kwargs: object) -> object:
            raise TimeoutError("vault.example.net timed out")

    config = VaultConfig(_key_vault=Flaky(SECRETS))
    with pytest.raises(ConfigurationError) as caught:
        config.db_password.get_secret_value()
    assert caught.value.details == {"secret": "shop-db-password", "error": "TimeoutError"}


def test_secret_without_value_is_a_configuration_error() -> None:
    class Empty(FakeSecretClient):
        def get_secret(self, name: str, version: str | None = None, **kwargs: object) -> object:
            return type("Secret", (), {"value": None})()

    config = VaultConfig(_key_vault=Empty(SECRETS))
    with pytest.raises(ConfigurationError, match="has no value"):
        len(config.db_password)


def test_vault_url_without_the_azure_extra_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, hide_modules: Callable[..., None]
) -> None:
    hide_modules("azure")
    monkeypatch.setenv("AZURE_KEY_VAULT_URL", "https://example.vault.azure.net/")
    with pytest.raises(MissingDependencyError, match=r"netrun\[azure\]"):
        key_vault_client()
    with pytest.raises(MissingDependencyError):
        configure_key_vault(vault_url="https://example.vault.azure.net/")
