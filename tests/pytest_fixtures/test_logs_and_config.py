"""Captured logs, logging configuration, settings overrides and the fake Key Vault."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from netrun.config import (
    BaseConfig,
    Field,
    NetrunConfigDict,
    SecretStr,
    app_settings,
    get_settings,
)
from netrun.logging import get_logger, is_configured
from netrun.logging._config import logging_state
from netrun.pytest_fixtures.logs import CapturedLogs

logger = get_logger(__name__)


class ShopConfig(BaseConfig):
    model_config = NetrunConfigDict(env_prefix="SHOPTEST_", django_prefix="NETRUN_SHOPTEST_")

    max_items: int = Field(10, description="Items per cart.")
    api_key: SecretStr | None = Field(None, key_vault="shop-api-key", description="API key.")


conf = app_settings(ShopConfig)


def test_log_capture_sees_events_with_context_and_redaction(
    netrun_log_capture: CapturedLogs, netrun_correlation_id: str
) -> None:
    logger.info("order_placed", order_id=7, password="hunter2")
    event = netrun_log_capture.assert_logged("order_placed", order_id=7)
    assert event["correlation_id"] == netrun_correlation_id
    assert event["password"] != "hunter2"
    assert event["log_level"] == "info"
    netrun_log_capture.assert_not_logged("order_cancelled")
    netrun_log_capture.assert_not_logged("order_placed", order_id=8)
    assert len(netrun_log_capture) == 1
    assert [item["event"] for item in netrun_log_capture] == ["order_placed"]


def test_log_capture_failures_say_what_was_logged(netrun_log_capture: CapturedLogs) -> None:
    logger.info("order_placed", order_id=7)
    logger.info("cart_viewed")
    with pytest.raises(AssertionError, match=r"events named 'order_placed'"):
        netrun_log_capture.assert_logged("order_placed", order_id=8)
    with pytest.raises(AssertionError, match=r"events logged: \['order_placed', 'cart_viewed'\]"):
        netrun_log_capture.assert_logged("order_paid")
    with pytest.raises(AssertionError, match="was logged 1 time"):
        netrun_log_capture.assert_not_logged("cart_viewed")
    netrun_log_capture.clear()
    assert netrun_log_capture.events == []


def test_logging_config_is_readable_console_output_at_debug(
    capsys: pytest.CaptureFixture[str], netrun_logging_config: None
) -> None:
    # capsys first: the fixture writes to the sys.stdout of its set-up time.
    assert logging_state()["enable_json"] is False
    assert logging_state()["log_level"] == logging.DEBUG
    logger.debug("debug_visible", answer=42)
    assert "debug_visible" in capsys.readouterr().out


def test_logging_is_the_suites_own_again_after_the_fixture() -> None:
    assert is_configured()
    assert logging_state().get("app_name") != "test"


def test_config_override_is_what_get_settings_and_conf_return(
    netrun_config_override: Any,
) -> None:
    before = get_settings(ShopConfig)
    installed = netrun_config_override(ShopConfig, max_items=3)
    assert get_settings(ShopConfig) is installed
    assert conf.max_items == 3
    netrun_config_override(ShopConfig, max_items=4)
    assert conf.max_items == 4
    assert before.max_items == 10


def test_config_override_is_undone_after_the_test() -> None:
    assert conf.max_items == 10


def test_mock_netrun_config_is_a_testing_config_with_debug(mock_netrun_config: Any) -> None:
    assert mock_netrun_config.app_environment == "testing"
    assert mock_netrun_config.app_debug is True
    assert get_settings(BaseConfig) is mock_netrun_config


def test_fake_key_vault_serves_secrets_lazily(netrun_fake_key_vault: Any) -> None:
    netrun_fake_key_vault.set("shop-api-key", "from-the-fake-vault-0123")
    settings = get_settings(ShopConfig)
    assert settings.api_key is not None
    assert netrun_fake_key_vault.fetched == []
    assert settings.api_key.get_secret_value() == "from-the-fake-vault-0123"
    assert netrun_fake_key_vault.fetched == ["shop-api-key"]


def test_fake_key_vault_disabled_and_missing_secrets(netrun_fake_key_vault: Any) -> None:
    netrun_fake_key_vault.set("other", "x")
    netrun_fake_key_vault.disable("other")
    assert [p.enabled for p in netrun_fake_key_vault.list_properties_of_secrets()] == [False]
    assert get_settings(ShopConfig).api_key is None
    with pytest.raises(LookupError):
        netrun_fake_key_vault.get_secret("missing")


def test_no_key_vault_after_the_fixture() -> None:
    from netrun.config.keyvault import key_vault_client

    assert key_vault_client() is None
    assert get_settings(ShopConfig).api_key is None
