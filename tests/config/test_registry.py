"""get_settings caching, reload_settings and its hooks, the lazy conf proxy, override_settings."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from netrun.config import (
    SettingsChange,
    clear_settings_cache,
    get_settings,
    on_reload,
    register_config,
    registered_configs,
    reload_settings,
    remove_reload_hook,
)
from netrun.config.registry import replace_settings
from netrun.errors import ValidationError
from netrun.logging.testing import capture_logs
from tests.config import shop
from tests.config.shop import ShopConfig


def test_get_settings_caches_one_instance_per_class() -> None:
    first = get_settings(ShopConfig)
    assert get_settings(ShopConfig) is first
    assert ShopConfig in registered_configs()
    clear_settings_cache(ShopConfig)
    assert get_settings(ShopConfig) is not first


def test_replace_settings_installs_an_object_and_hands_back_the_one_it_replaced() -> None:
    built = get_settings(ShopConfig)
    mine = ShopConfig(max_age=7)
    assert replace_settings(ShopConfig, mine) is built
    assert get_settings(ShopConfig) is mine
    assert replace_settings(ShopConfig, built) is mine
    assert get_settings(ShopConfig) is built
    assert replace_settings(ShopConfig, None) is built
    assert replace_settings(ShopConfig, None) is None


def test_environment_changes_are_seen_after_reload(monkeypatch: pytest.MonkeyPatch) -> None:
    assert get_settings(ShopConfig).max_age == 3600
    monkeypatch.setenv("SHOP_MAX_AGE", "60")
    assert get_settings(ShopConfig).max_age == 3600  # cached until reloaded
    changes = reload_settings()
    assert get_settings(ShopConfig).max_age == 60
    assert [change.changed for change in changes] == [("max_age",)]


def test_reload_calls_hooks_with_the_change(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[SettingsChange[Any]] = []
    hook = on_reload(seen.append)
    try:
        old = get_settings(ShopConfig)
        reload_settings(ShopConfig)
        assert seen == []  # nothing changed, nobody is bothered
        monkeypatch.setenv("SHOP_MODE", "fast")
        monkeypatch.setenv("SHOP_API_KEY", "sk-live-abcdefghijklmnop")
        with capture_logs() as events:
            reload_settings(ShopConfig)
    finally:
        remove_reload_hook(hook)
    [change] = seen
    assert change.config_class is ShopConfig
    assert change.old is old
    assert change.new is get_settings(ShopConfig)
    assert change.changed == ("mode", "api_key")
    logged = next(e for e in events if e["event"] == "config_changed")
    assert logged["changes"]["mode"] == {"old": "safe", "new": "fast"}
    # Masked by netrun.config, then the whole key by the logging redactor ("api_key").
    assert logged["changes"]["api_key"] in ("[REDACTED]", {"old": None, "new": "**********"})
    assert "sk-live" not in repr(events)


def test_a_failing_hook_does_not_stop_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def broken(change: SettingsChange[Any]) -> None:
        raise RuntimeError("boom")

    def working(change: SettingsChange[Any]) -> None:
        calls.append(change.config_class.__name__)

    on_reload(broken)
    on_reload(working)
    try:
        get_settings(ShopConfig)
        monkeypatch.setenv("SHOP_MAX_AGE", "1")
        with capture_logs() as events:
            reload_settings()
    finally:
        remove_reload_hook(broken)
        remove_reload_hook(working)
    assert calls == ["ShopConfig"]
    assert any(e["event"] == "config_reload_hook_failed" for e in events)


def test_invalid_reload_raises_and_keeps_the_last_good_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    good = get_settings(ShopConfig)
    monkeypatch.setenv("SHOP_MAX_AGE", "-5")
    with pytest.raises(ValidationError):
        reload_settings(ShopConfig)
    assert get_settings(ShopConfig) is good


def test_conf_proxy_reads_current_settings_lazily(monkeypatch: pytest.MonkeyPatch) -> None:
    assert shop.conf.max_age == 3600
    monkeypatch.setenv("SHOP_MAX_AGE", "42")
    reload_settings()
    assert shop.conf.max_age == 42
    assert shop.conf.is_development
    assert repr(shop.conf) == "<lazy settings of ShopConfig>"
    assert "max_age" in dir(shop.conf)
    with pytest.raises(AttributeError, match="read-only"):
        shop.conf.max_age = 1


def test_override_settings_is_seen_at_the_next_read() -> None:
    assert shop.conf.max_age == 3600
    with override_settings(NETRUN_SHOP_MAX_AGE=120):
        assert shop.conf.max_age == 120
        assert get_settings(ShopConfig).value_sources()["max_age"].source.value == "django"
    assert shop.conf.max_age == 3600


def test_override_settings_fires_reload_hooks() -> None:
    seen: list[tuple[str, ...]] = []
    hook = on_reload(lambda change: seen.append(change.changed))
    try:
        get_settings(ShopConfig)
        with override_settings(NETRUN_SHOP_MODE="fast"):
            pass
    finally:
        remove_reload_hook(hook)
    assert seen == [("mode",), ("mode",)]


def test_invalid_override_raises_at_the_next_read_not_in_the_signal() -> None:
    get_settings(ShopConfig)
    with (
        capture_logs() as events,
        override_settings(NETRUN_SHOP_MAX_AGE=-1),
        pytest.raises(ValidationError, match="SHOP_MAX_AGE"),
    ):
        get_settings(ShopConfig)
    assert any(e["event"] == "config_invalid_after_setting_changed" for e in events)
    assert get_settings(ShopConfig).max_age == 3600


def test_unrelated_setting_changes_do_not_rebuild() -> None:
    first = get_settings(ShopConfig)
    with override_settings(NETRUN_OTHER_THING=1, SOME_DJANGO_SETTING=2):
        assert get_settings(ShopConfig) is first


def test_register_config_works_as_a_decorator() -> None:
    @register_config
    class Registered(ShopConfig):
        pass

    assert Registered in registered_configs()
