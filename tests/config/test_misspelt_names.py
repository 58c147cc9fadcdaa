"""A misspelt argument, field or ``NETRUN_*`` setting is refused, naming the closest valid name."""

from __future__ import annotations

from typing import Any, ClassVar

import pydantic
import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from netrun.config import BaseConfig, Field, NetrunConfigDict
from netrun.config.checks import check_unknown_settings, known_settings
from netrun.db_pool.conf import PoolConfig
from netrun.errors import ValidationError
from netrun.logging.testing import capture_logs


class AliasConfig(BaseConfig):
    model_config = NetrunConfigDict(env_prefix="ALIASED_", populate_by_name=True)

    region: str = Field("eu", alias="zone")
    tier: str = Field("free", validation_alias=pydantic.AliasChoices("tier", "plan"))
    renamed_fields: ClassVar[dict[str, str]] = {"old_region": "region"}


def test_a_misspelt_keyword_names_the_closest_field() -> None:
    with pytest.raises(ValidationError) as caught:
        PoolConfig(pool_sise=10)
    error = caught.value
    assert "unknown argument 'pool_sise'; did you mean 'pool_size'?" in error.message
    (entry,) = error.details["errors"]
    assert entry["field"] == "pool_sise"
    assert entry["suggestion"] == "pool_size"
    with pytest.raises(ValidationError, match=r"'max_sise'; did you mean 'max_size'"):
        PoolConfig(max_sise=10)


def test_an_unrelated_keyword_gets_no_guess() -> None:
    with pytest.raises(ValidationError) as caught:
        PoolConfig(colour="blue")
    assert "did you mean" not in caught.value.message
    assert caught.value.details["errors"][0]["suggestion"] is None


def test_the_seeds_pool_config_names_are_accepted() -> None:
    config = PoolConfig(database_url="postgresql://app:s3cret@db/app", pool_size=7, min_size=1)
    assert config.max_size == 7
    assert config.pool_size == 7
    assert config.database_url == "postgresql://app:s3cret@db/app"
    assert "s3cret" not in config.redacted_url
    with pytest.raises(ValidationError, match="got both 'pool_size' and 'max_size'"):
        PoolConfig(pool_size=7, max_size=8)


def test_aliases_and_pydantic_settings_arguments_are_not_misspellings() -> None:
    assert {"region", "zone", "tier", "plan", "old_region"} <= AliasConfig.argument_names()
    assert AliasConfig(zone="us", plan="pro").tier == "pro"
    assert AliasConfig(old_region="ap").region == "ap"
    assert AliasConfig(_env_file=None).region == "eu"
    with pytest.raises(ValidationError, match="did you mean 'region'"):
        AliasConfig(regoin="us")


def test_assigning_a_misspelt_field_names_the_closest() -> None:
    config = PoolConfig()
    with pytest.raises(AttributeError, match="has no field 'max_sise'; did you mean 'max_size'"):
        config.max_sise = 3
    config.max_size = 12  # a real field still assigns
    assert config.max_size == 12


def test_config_loaded_is_a_debug_event() -> None:
    with capture_logs() as logs:
        PoolConfig()
    (loaded,) = [log for log in logs if log["event"] == "config_loaded"]
    assert loaded["log_level"] == "debug"


def _messages(**settings: Any) -> list[Any]:
    with override_settings(**settings):
        return check_unknown_settings()


def test_e008_a_misspelt_app_setting_names_the_closest() -> None:
    (message,) = _messages(NETRUN_CORS_ALLOWED_ORIGNS=["https://app.example.com"])
    assert message.id == "netrun.config.E008"
    assert message.obj == "NETRUN_CORS_ALLOWED_ORIGNS"
    assert message.hint == "Did you mean NETRUN_CORS_ALLOWED_ORIGINS?"
    (pool,) = _messages(NETRUN_DB_POOL_POOL_SISE=10)
    assert pool.id == "netrun.config.E008"
    assert "NETRUN_DB_POOL_" in pool.hint
    (far,) = _messages(NETRUN_LOGGING_SOMETHING_ELSE_ENTIRELY=1)
    assert far.id == "netrun.config.E008"
    assert far.hint == "Remove it: netrun ignores it."


def test_w001_a_setting_close_to_a_netrun_name_outside_the_app_prefixes() -> None:
    (message,) = _messages(NETRUN_CROS_PRESET="production")
    assert message.id == "netrun.config.W001"
    assert message.hint == "Did you mean NETRUN_CORS_PRESET?"
    assert _messages(NETRUN_MY_OWN_FEATURE_FLAG=True) == []  # the project's own name


def test_every_documented_and_field_setting_is_known() -> None:
    known = known_settings()
    assert {"NETRUN_CORS_PRESET", "NETRUN_DB_POOL_MAX_SIZE", "NETRUN_LOGGING_CONFIGURE"} <= known
    assert {"NETRUN_ERRORS_PROBLEM_JSON", "NETRUN_LLM_PRICES", "NETRUN_APP_ENVIRONMENT"} <= known
    assert _messages(NETRUN_CORS_PRESET="production", NETRUN_LOGGING_JSON=False) == []


@pytest.mark.django_db
def test_manage_py_check_fails_on_a_misspelt_setting() -> None:
    with (
        override_settings(NETRUN_RATELIMIT_ENABLD=False),
        pytest.raises(SystemCheckError, match=r"netrun\.config\.E008"),
    ):
        call_command("check")
