"""One ``setting_changed`` receiver refreshes every app's settings; no app keeps its own."""

from __future__ import annotations

import weakref
from typing import Any

from django.core.signals import setting_changed
from django.test import override_settings

from netrun.config import get_settings
from netrun.config.receivers import DISPATCH_UID, connect_settings_receiver, refresh_settings
from netrun.cors import CORSConfig


def _netrun_receivers() -> list[str]:
    """``module.qualname`` of every ``setting_changed`` receiver defined in a netrun module."""
    found = []
    for entry in setting_changed.receivers:
        receiver: Any = entry[1]
        if isinstance(receiver, weakref.ReferenceType):
            receiver = receiver()
        module = getattr(receiver, "__module__", "") or ""
        if module.startswith("netrun."):
            found.append(f"{module}.{receiver.__qualname__}")
    return found


def test_the_settings_receiver_is_connected_once() -> None:
    connect_settings_receiver()
    connect_settings_receiver()
    assert _netrun_receivers().count("netrun.config.receivers.refresh_settings") == 1


def test_no_app_keeps_a_settings_receiver_of_its_own() -> None:
    assert not [
        name for name in _netrun_receivers() if name.startswith(("netrun.cors", "netrun.llm"))
    ]


def test_only_the_classes_that_read_the_setting_are_rebuilt() -> None:
    before = get_settings(CORSConfig)
    refresh_settings(setting="SOMETHING_ELSE")
    assert get_settings(CORSConfig) is before
    with override_settings(NETRUN_CORS_MAX_AGE=5):
        assert get_settings(CORSConfig) is not before
        assert get_settings(CORSConfig).max_age == 5
    assert get_settings(CORSConfig).max_age == 3600


def test_an_app_connects_it_when_netrun_config_is_not_installed() -> None:
    setting_changed.disconnect(dispatch_uid=DISPATCH_UID)
    try:
        assert "netrun.config.receivers.refresh_settings" not in _netrun_receivers()
        apps_without_config = [
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "netrun.core",
            "netrun.errors",
            "netrun.logging",
            "netrun.cors",
        ]
        with override_settings(INSTALLED_APPS=apps_without_config):
            assert "netrun.config.receivers.refresh_settings" in _netrun_receivers()
    finally:
        connect_settings_receiver()
