"""System checks: one test per id, and `manage.py check` reporting them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from netrun.config import register_config
from netrun.config.checks import check_config_classes, check_environment
from netrun.config.django import Env
from tests.config.shop import ShopConfig


def _ids() -> list[str]:
    return [message.id or "" for message in check_environment()]


def test_no_problems_no_messages() -> None:
    assert check_environment() == []


def test_e001_required_variable_missing() -> None:
    Env(environ={}).str("DJANGO_SECRET_KEY")
    [message] = check_environment()
    assert message.id == "netrun.config.E001"
    assert message.obj == "DJANGO_SECRET_KEY"
    assert "DJANGO_SECRET_KEY" in message.msg
    assert message.is_serious()


def test_e002_bad_value() -> None:
    Env(environ={"DJANGO_DEBUG": "perhaps"}).bool("DJANGO_DEBUG", default=False)
    assert _ids() == ["netrun.config.E002"]


def test_e003_bad_database_url() -> None:
    Env(environ={"DATABASE_URL": "oracle-ish"}).database_url()
    assert _ids() == ["netrun.config.E003"]


def test_e004_bad_cache_url() -> None:
    Env(environ={"CACHE_URL": "nosuchcache://x"}).cache_url()
    assert _ids() == ["netrun.config.E004"]


def test_e005_bad_email_url() -> None:
    Env(environ={"EMAIL_URL": "pigeon://coop"}).email_url()
    assert _ids() == ["netrun.config.E005"]


def test_e006_bad_broker_url() -> None:
    Env(environ={"CELERY_BROKER_URL": "pigeon://coop"}).celery_broker_url()
    assert _ids() == ["netrun.config.E006"]


def test_e007_registered_config_class_fails_validation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    register_config(ShopConfig)
    assert [m for m in check_config_classes() if "ShopConfig" in str(m.obj)] == []
    monkeypatch.setenv("SHOP_MAX_AGE", "-1")
    monkeypatch.setenv("SHOP_MODE", "turbo")
    [message] = [m for m in check_config_classes() if "ShopConfig" in str(m.obj)]
    assert message.id == "netrun.config.E007"
    assert message.obj == "tests.config.shop.ShopConfig"
    assert "SHOP_MAX_AGE: Input should be greater than or equal to 0" in message.msg
    assert "SHOP_MODE: Input should be 'fast' or 'safe'" in message.msg


def test_e007_missing_dependency_is_reported(
    monkeypatch: pytest.MonkeyPatch, hide_modules: Callable[..., None]
) -> None:
    hide_modules("azure")
    from pydantic import SecretStr

    from netrun.config import BaseConfig

    @register_config
    class NeedsVault(BaseConfig):
        vault_only: SecretStr | None = None

    monkeypatch.setenv("AZURE_KEY_VAULT_URL", "https://example.vault.azure.net/")
    [message] = [m for m in check_config_classes() if "NeedsVault" in str(m.obj)]
    assert message.id == "netrun.config.E007"
    assert "netrun[azure]" in message.msg


@pytest.mark.django_db
def test_call_command_check_reports_errors_by_id(monkeypatch: pytest.MonkeyPatch) -> None:
    Env(environ={"DATABASE_URL": "oracle-ish"}).database_url()
    with pytest.raises(SystemCheckError) as caught:
        call_command("check")
    assert "netrun.config.E003" in str(caught.value)
    assert "DATABASE_URL" in str(caught.value)


@pytest.mark.django_db
def test_call_command_check_passes_when_clean() -> None:
    call_command("check")  # raises SystemCheckError on any error


@pytest.mark.django_db
def test_call_command_check_sees_override_settings() -> None:
    register_config(ShopConfig)
    with override_settings(NETRUN_SHOP_MAX_AGE=10**6), pytest.raises(SystemCheckError) as caught:
        call_command("check")
    assert "netrun.config.E007" in str(caught.value)
    assert "SHOP_MAX_AGE" in str(caught.value)
