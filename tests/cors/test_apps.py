"""The AppConfig and the decorator's odds and ends."""

from __future__ import annotations

from django.apps import apps
from django.test import override_settings

from netrun.config import get_settings
from netrun.cors import CORSConfig, cors_policy
from netrun.cors.apps import _on_setting_changed
from netrun.cors.decorators import view_override


def test_the_app_label_does_not_clash() -> None:
    config = apps.get_app_config("netrun_cors")
    assert config.name == "netrun.cors"
    assert config.verbose_name == "Netrun CORS"


def test_the_fallback_receiver_reloads_only_for_cors_settings() -> None:
    before = get_settings(CORSConfig)
    _on_setting_changed(setting="SOMETHING_ELSE")
    assert get_settings(CORSConfig) is before
    with override_settings(NETRUN_CORS_MAX_AGE=5):
        _on_setting_changed(setting="NETRUN_CORS_MAX_AGE")
        assert get_settings(CORSConfig).cors_max_age == 5


def test_a_single_origin_string_is_one_origin() -> None:
    @cors_policy(origins="https://one.example.com")
    def view() -> None: ...

    override = view_override(view)
    assert override is not None
    assert override.origins == ("https://one.example.com",)
    assert view_override(object()) is None
