"""CORSConfig: the seeds' contract, its sources and their names."""

from __future__ import annotations

import pytest
from django.test import override_settings

from netrun.config import get_settings
from netrun.cors import CORSConfig
from netrun.cors.conf import conf
from netrun.errors import ValidationError


def test_defaults_follow_the_contract() -> None:
    config = CORSConfig()
    assert config.cors_preset == "development"
    assert config.cors_max_age == 3600
    assert config.cors_allowed_origins == []
    assert config.cors_allow_credentials is None


@pytest.mark.parametrize("value", ["-1", "86401"])
def test_max_age_is_bounded(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CORS_MAX_AGE", value)
    with pytest.raises(ValidationError, match="CORS_MAX_AGE"):
        CORSConfig()


def test_unknown_preset_is_a_validation_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_PRESET", "yolo")
    with pytest.raises(ValidationError, match="CORS_PRESET"):
        CORSConfig()


def test_environment_lists_are_comma_separated_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_PRESET", " Production ")
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "https://a.example.com,https://b.example.com")
    monkeypatch.setenv("CORS_ALLOW_METHODS", '["GET", "POST"]')
    config = CORSConfig()
    assert config.cors_preset == "production"
    assert config.cors_allowed_origins == ["https://a.example.com", "https://b.example.com"]
    assert config.cors_allow_methods == ["GET", "POST"]


def test_django_settings_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_PRESET", "staging")
    with override_settings(NETRUN_CORS_PRESET="oauth"):
        assert CORSConfig().cors_preset == "oauth"


def test_setting_names_are_flat_netrun_cors_names() -> None:
    names = CORSConfig.variable_names()
    assert names["cors_preset"].env == "CORS_PRESET"
    assert names["cors_preset"].django_setting == "NETRUN_CORS_PRESET"
    assert names["cors_allowed_origin_regexes"].django_setting == (
        "NETRUN_CORS_ALLOWED_ORIGIN_REGEXES"
    )


def test_conf_is_lazy_and_follows_override_settings() -> None:
    assert conf.cors_max_age == 3600
    with override_settings(NETRUN_CORS_MAX_AGE=10):
        assert conf.cors_max_age == 10
        assert get_settings(CORSConfig).cors_max_age == 10
    assert conf.cors_max_age == 3600
