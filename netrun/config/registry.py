"""One cached settings object per class, reloads, reload hooks and the lazy ``conf`` proxy.

``get_settings(CORSConfig)`` builds the object on first use and returns the same one after
that. ``reload_settings()`` builds every cached class again; when a value changed, the change
is logged (secrets masked) and every hook registered with :func:`on_reload` is called. If the
new values do not validate, the error is raised and the previous object stays in effect, so a
running process keeps its last good configuration.

Under Django, the one ``setting_changed`` receiver (:mod:`netrun.config.receivers`) calls
:func:`django_setting_changed`, so ``override_settings(NETRUN_CORS_MAX_AGE=...)`` is seen at
the next read.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from netrun.config.base import BaseConfig
from netrun.config.keyvault import KeyVaultSecretStr
from netrun.errors import NetrunException
from netrun.logging import get_logger

__all__ = [
    "SettingsChange",
    "app_settings",
    "clear_settings_cache",
    "django_setting_changed",
    "get_settings",
    "on_reload",
    "register_config",
    "registered_configs",
    "reload_settings",
    "remove_reload_hook",
    "replace_settings",
]

logger = get_logger(__name__)

_T = TypeVar("_T", bound=BaseConfig)

_lock = threading.RLock()
_cache: dict[type[BaseConfig], BaseConfig] = {}
# Insertion-ordered set of the classes `manage.py check` validates (netrun.config.E007).
_registered: dict[type[BaseConfig], None] = {}


@dataclass(frozen=True)
class SettingsChange(Generic[_T]):
    """What a reload changed: the class, the old and new objects, the changed field names."""

    config_class: type[_T]
    old: _T
    new: _T
    changed: tuple[str, ...]


ReloadHook = Callable[[SettingsChange[Any]], None]
_hooks: list[ReloadHook] = []


def register_config(config_class: type[_T]) -> type[_T]:
    """Have the system check ``netrun.config.E007`` validate ``config_class``; a decorator too."""
    with _lock:
        _registered[config_class] = None
    return config_class


def registered_configs() -> tuple[type[BaseConfig], ...]:
    with _lock:
        return tuple(_registered)


def get_settings(config_class: type[_T]) -> _T:
    """The settings object of ``config_class``, built on first use and then cached."""
    with _lock:
        cached = _cache.get(config_class)
        if cached is None:
            cached = config_class()
            _cache[config_class] = cached
            _registered.setdefault(config_class, None)
        return cast(_T, cached)


def clear_settings_cache(config_class: type[BaseConfig] | None = None) -> None:
    """Forget cached objects (one class, or all); the next read builds again. No hooks run."""
    with _lock:
        if config_class is None:
            _cache.clear()
        else:
            _cache.pop(config_class, None)


def replace_settings(config_class: type[_T], settings: _T | None) -> _T | None:
    """Make ``settings`` what ``get_settings(config_class)`` returns; ``None`` forgets it.

    Returns the object it replaced (``None`` when there was none), so a test can put it back
    with a second call. No hooks run: nothing was reloaded.
    """
    with _lock:
        previous = _cache.pop(config_class, None)
        if settings is not None:
            _cache[config_class] = settings
        return cast("_T | None", previous)


def on_reload(callback: ReloadHook) -> ReloadHook:
    """Call ``callback(change)`` after a reload changed a value; usable as a decorator."""
    with _lock:
        if callback not in _hooks:
            _hooks.append(callback)
    return callback


def remove_reload_hook(callback: ReloadHook) -> None:
    with _lock:
        if callback in _hooks:
            _hooks.remove(callback)


def _changed_fields(old: BaseConfig, new: BaseConfig) -> tuple[str, ...]:
    changed = []
    for name in type(new).model_fields:
        before, after = getattr(old, name), getattr(new, name)
        # Secrets compare by value, which would fetch a lazy Key Vault secret; comparing the
        # objects' types and identities first keeps a reload from fetching anything.
        if before is after:
            continue
        if type(before) is not type(after) or _value(before) != _value(after):
            changed.append(name)
    return tuple(changed)


def _value(value: Any) -> Any:
    if isinstance(value, KeyVaultSecretStr):
        return ("key-vault", value.secret_name)
    return value


def reload_settings(*config_classes: type[BaseConfig]) -> list[SettingsChange[Any]]:
    """Build the given (default: every cached) classes again and notify the hooks.

    Returns one :class:`SettingsChange` per class whose values changed. A class whose values
    did not change keeps its object (and any Key Vault secret it already fetched). A class
    that fails validation raises :class:`netrun.errors.ValidationError` and keeps its
    previous object.
    """
    with _lock:
        targets = list(config_classes) if config_classes else list(_cache)
        changes: list[SettingsChange[Any]] = []
        for config_class in targets:
            old = _cache.get(config_class)
            new = config_class()
            _registered.setdefault(config_class, None)
            if old is None:
                _cache[config_class] = new
                continue
            changed = _changed_fields(old, new)
            if changed:
                _cache[config_class] = new
                before, after = old.redacted_values(), new.redacted_values()
                logger.info(
                    "config_changed",
                    config=config_class.__name__,
                    changed=list(changed),
                    changes={name: {"old": before[name], "new": after[name]} for name in changed},
                )
                changes.append(SettingsChange(config_class, old, new, changed))
        hooks = list(_hooks)
    for change in changes:
        for hook in hooks:
            try:
                hook(change)
            except Exception:
                # One broken subscriber must not keep the others on stale settings.
                logger.exception(
                    "config_reload_hook_failed",
                    config=change.config_class.__name__,
                    hook=getattr(hook, "__qualname__", repr(hook)),
                )
    return changes


def django_setting_changed(setting: str) -> None:
    """Reload the cached classes that read the Django setting ``setting``.

    A value that no longer validates drops the cached object instead of raising inside the
    signal (which ``override_settings`` would turn into a confusing failure on exit); the next
    read raises the ``ValidationError`` where the code can see it.
    """
    with _lock:
        affected = [cls for cls in _cache if setting in cls.django_setting_names()]
    for config_class in affected:
        try:
            reload_settings(config_class)
        except NetrunException as error:
            clear_settings_cache(config_class)
            logger.warning(
                "config_invalid_after_setting_changed",
                config=config_class.__name__,
                setting=setting,
                error_code=error.error_code,
            )


class _LazySettings:
    """Reads attributes from ``get_settings(config_class)`` at each access."""

    __slots__ = ("_config_class",)

    def __init__(self, config_class: type[BaseConfig]) -> None:
        object.__setattr__(self, "_config_class", config_class)

    def __getattr__(self, name: str) -> Any:
        return getattr(get_settings(self._config_class), name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            "settings are read-only; change the source (override_settings, the environment) "
            "and call reload_settings()"
        )

    def __dir__(self) -> list[str]:
        return dir(get_settings(self._config_class))

    def __repr__(self) -> str:
        return f"<lazy settings of {self._config_class.__name__}>"


def app_settings(config_class: type[_T]) -> _T:
    """A module-level ``conf`` object for a package's ``conf.py``: lazy, typed, never stale.

    Attribute access reads the cached settings object, which ``reload_settings()`` and
    Django's ``setting_changed`` replace, so ``conf.max_age`` is always current. Nothing is
    read when this is called (import time). The class is registered for the system checks.
    """
    register_config(config_class)
    # Typed as the class itself so `conf.max_age` type-checks; at run time it is the proxy.
    return cast(_T, _LazySettings(config_class))
