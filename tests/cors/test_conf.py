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
    assert config.preset == "development"
    assert config.max_age == 3600
    assert config.allowed_origins == []
    assert config.allow_credentials is None


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
    assert config.preset == "production"
    assert config.allowed_origins == ["https://a.example.com", "https://b.example.com"]
    assert config.allow_methods == ["GET", "POST"]


def test_django_settings_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_PRESET", "staging")
    with override_settings(NETRUN_CORS_PRESET="oauth"):
        assert CORSConfig().preset == "oauth"


def test_setting_names_are_flat_netrun_cors_names() -> None:
    names = CORSConfig.variable_names()
    assert names["preset"].env == "CORS_PRESET"
    assert names["preset"].django_setting == "NETRUN_CORS_PRESET"
    assert names["allowed_origin_regexes"].django_setting == "NETRUN_CORS_ALLOWED_ORIGIN_REGEXES"


def test_conf_is_lazy_and_follows_override_settings() -> None:
    assert conf.max_age == 3600
    with override_settings(NETRUN_CORS_MAX_AGE=10):
        assert conf.max_age == 10
        assert get_settings(CORSConfig).max_age == 10
    assert conf.max_age == 3600


def test_the_seeds_field_names_still_build_and_read() -> None:
    config = CORSConfig(cors_preset="production", cors_allowed_origins=["https://a.example.com"])
    assert config.preset == config.cors_preset == "production"
    assert config.cors_allowed_origins == ["https://a.example.com"]
    assert conf.cors_max_age == conf.max_age == 3600
    with pytest.raises(ValidationError, match="'preset'"):
        CORSConfig(cors_preset="staging", preset="production")
