"""One ``setting_changed`` receiver refreshes every app's settings; no app keeps its own.

Levels 0-1 (errors, logging) read Django settings at every access; level 2 and up cache a
``BaseConfig`` that ``netrun.config.receivers.refresh_settings`` rebuilds. Either way the
next read after ``override_settings`` (or pytest-django's ``settings``) sees the new value.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.signals import setting_changed
from django.test import override_settings

from netrun.auth.conf import conf as auth_conf
from netrun.config import get_settings
from netrun.config.receivers import DISPATCH_UID, connect_settings_receiver, refresh_settings
from netrun.cors import CORSConfig
from netrun.cors.conf import conf as cors_conf
from netrun.db_pool.conf import conf as db_pool_conf
from netrun.errors.conf import conf as errors_conf
from netrun.llm.conf import conf as llm_conf
from netrun.logging.conf import conf as logging_conf
from netrun.oauth.conf import conf as oauth_conf
from netrun.ratelimit.conf import conf as ratelimit_conf
from netrun.rbac.conf import conf as rbac_conf

REFRESH = "netrun.config.receivers.refresh_settings"

#: (settings object, Django setting, a value other than the default, attribute)
APPS = {
    "errors": (errors_conf, "NETRUN_ERRORS_PROBLEM_JSON", True, "problem_json"),
    "logging": (logging_conf, "NETRUN_LOGGING_REQUEST_EVENTS", False, "request_events"),
    "auth": (auth_conf, "NETRUN_AUTH_LEEWAY", 7, "leeway"),
    "oauth": (oauth_conf, "NETRUN_OAUTH_STATE_MAX_AGE", 60, "state_max_age"),
    "cors": (cors_conf, "NETRUN_CORS_MAX_AGE", 5, "max_age"),
    "ratelimit": (ratelimit_conf, "NETRUN_RATELIMIT_KEY_PREFIX", "other:", "key_prefix"),
    "db_pool": (db_pool_conf, "NETRUN_DB_POOL_MAX_SIZE", 3, "max_size"),
    "rbac": (rbac_conf, "NETRUN_RBAC_RLS_DATABASE", "rls", "rls_database"),
    "llm": (llm_conf, "NETRUN_LLM_TIMEOUT", 5.0, "timeout"),
}


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


@pytest.fixture
def without_the_receiver() -> Iterator[None]:
    setting_changed.disconnect(dispatch_uid=DISPATCH_UID)
    try:
        yield
    finally:
        connect_settings_receiver()


def test_the_settings_receiver_is_connected_once() -> None:
    connect_settings_receiver()
    connect_settings_receiver()
    assert _netrun_receivers().count(REFRESH) == 1


def test_it_is_the_only_netrun_receiver_but_logging_s() -> None:
    # netrun.logging (level 1, no cache, cannot import netrun.config) re-applies its logging
    # configuration on a NETRUN_LOGGING_* change: an effect of the settings, not a cache.
    others = [name for name in _netrun_receivers() if name != REFRESH]
    assert [name for name in others if not name.startswith("netrun.logging.")] == []


@pytest.mark.parametrize("app", sorted(APPS))
def test_override_settings_is_seen_by_the_next_read(app: str) -> None:
    conf, setting, value, attribute = APPS[app]
    before = getattr(conf, attribute)  # cached from here on, for the BaseConfig apps
    assert before != value
    with override_settings(**{setting: value}):
        assert getattr(conf, attribute) == value
    assert getattr(conf, attribute) == before


@pytest.mark.parametrize("app", sorted(APPS))
def test_the_settings_fixture_is_seen_by_the_next_read(app: str, settings: Any) -> None:
    conf, setting, value, attribute = APPS[app]
    getattr(conf, attribute)
    setattr(settings, setting, value)
    assert getattr(conf, attribute) == value


@pytest.mark.usefixtures("without_the_receiver")
def test_the_cached_apps_are_refreshed_by_the_receiver_alone() -> None:
    assert cors_conf.max_age == 3600
    with override_settings(NETRUN_CORS_MAX_AGE=5, NETRUN_ERRORS_PROBLEM_JSON=True):
        assert cors_conf.max_age == 3600  # level 2+: cached until the receiver rebuilds it
        assert errors_conf.problem_json is True  # level 0-1: read at every access


def test_only_the_classes_that_read_the_setting_are_rebuilt() -> None:
    before = get_settings(CORSConfig)
    refresh_settings(setting="SOMETHING_ELSE")
    assert get_settings(CORSConfig) is before
    with override_settings(NETRUN_CORS_MAX_AGE=5):
        assert get_settings(CORSConfig) is not before
        assert get_settings(CORSConfig).max_age == 5
    assert get_settings(CORSConfig).max_age == 3600


def test_an_app_connects_it_when_netrun_config_is_not_installed(
    without_the_receiver: None,
) -> None:
    assert REFRESH not in _netrun_receivers()
    apps_without_config = [
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "netrun.core",
        "netrun.errors",
        "netrun.logging",
        "netrun.cors",
    ]
    with override_settings(INSTALLED_APPS=apps_without_config):
        assert REFRESH in _netrun_receivers()
