"""Settings of ``netrun.ratelimit``: a typed :class:`~netrun.config.BaseConfig`, read lazily.

=====================================  ==========================  ===============================
Django setting (environment variable)  Default                     Meaning
=====================================  ==========================  ===============================
``NETRUN_RATELIMIT_BACKEND``           ``"memory"``                ``"memory"``, ``"redis"`` or the
(``RATELIMIT_BACKEND``)                                            dotted path of a ``Backend``
                                                                   subclass or factory
``NETRUN_RATELIMIT_REDIS_URL``         ``None``                    Redis for ``"redis"``
``NETRUN_RATELIMIT_KEY_PREFIX``        ``"netrun:rl:"``            prefix of every Redis key
``NETRUN_RATELIMIT_FAIL_OPEN``         ``True``                    admit (True) or refuse (False)
                                                                   while the backend is down
``NETRUN_RATELIMIT_ERROR_LOG_INTERVAL``  ``60.0``                  seconds between two
                                                                   ``ratelimit_backend_unavailable``
                                                                   log lines
``NETRUN_RATELIMIT_TRUSTED_PROXY_COUNT``  ``0``                    reverse proxies in front of the
                                                                   app that append to
                                                                   ``X-Forwarded-For``
``NETRUN_RATELIMIT_MIDDLEWARE_RATE``   ``None``                    global rate of
                                                                   ``RateLimitMiddleware`` (None:
                                                                   headers and mapping only)
``NETRUN_RATELIMIT_MIDDLEWARE_KEY``    ``"user_or_ip"``            its key: ``ip``, ``user``,
                                                                   ``tenant``, ``user_or_ip``,
                                                                   ``header:<name>``, a dotted path
``NETRUN_RATELIMIT_EXEMPT_PATHS``      ``[]``                      path prefixes it skips
``NETRUN_RATELIMIT_HEADERS``           ``True``                    send ``RateLimit-*`` headers
``NETRUN_RATELIMIT_ENABLED``           ``True``                    off: nothing is limited
=====================================  ==========================  ===============================

Every value is read at use (``override_settings`` works key by key) and checked by the system
checks ``netrun.ratelimit.E001``...; see ``netrun.ratelimit.checks``. This module does not
import Django.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

from netrun.config import BaseConfig, Field, NetrunConfigDict, app_settings
from netrun.ratelimit.backends.base import Backend

__all__ = [
    "BACKEND_ALIASES",
    "RatelimitConfig",
    "conf",
    "get_backend",
    "import_backend",
    "reset_backends",
]

BACKEND_ALIASES = {
    "memory": "netrun.ratelimit.backends.memory.MemoryBackend",
    "redis": "netrun.ratelimit.backends.redis.RedisBackend",
}


class RatelimitConfig(BaseConfig):
    """The settings of ``netrun.ratelimit``; semantic checks live in ``checks.py``."""

    model_config = NetrunConfigDict(env_prefix="RATELIMIT_", django_prefix="NETRUN_RATELIMIT_")

    backend: str = Field("memory", description="memory, redis, or a dotted path to a Backend.")
    redis_url: str | None = Field(None, description="Redis URL of the redis backend.")
    key_prefix: str = Field("netrun:rl:", description="Prefix of every Redis key.")
    fail_open: bool = Field(True, description="Admit requests while the backend is down.")
    error_log_interval: float = Field(
        60.0, ge=0, description="Seconds between two backend-unavailable log lines."
    )
    # No `ge=0` here: a negative count is reported by netrun.ratelimit.E003, naming the setting.
    trusted_proxy_count: int = Field(
        0, description="Reverse proxies in front of the app that append to X-Forwarded-For."
    )
    middleware_rate: str | None = Field(None, description="Global rate of RateLimitMiddleware.")
    middleware_key: str = Field("user_or_ip", description="Key of RateLimitMiddleware.")
    exempt_paths: list[str] = Field(
        default_factory=list, description="Path prefixes RateLimitMiddleware skips."
    )
    headers: bool = Field(True, description="Send RateLimit-* headers.")
    enabled: bool = Field(True, description="Turn every netrun rate limit off when False.")


conf = app_settings(RatelimitConfig)

_backends: dict[tuple[str, str | None, str], Backend] = {}
_backends_lock = threading.Lock()


def import_backend(path: str) -> Any:
    """The class or factory a ``backend`` setting names; ``ImportError`` names the setting."""
    dotted = BACKEND_ALIASES.get(path, path)
    module_name, _, attribute = dotted.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as error:
        raise ImportError(
            f"NETRUN_RATELIMIT_BACKEND {path!r} cannot be imported: {error}"
        ) from error


def get_backend() -> Backend:
    """The backend the settings describe, built once per distinct configuration."""
    identity = (conf.backend, conf.redis_url, conf.key_prefix)
    with _backends_lock:
        backend = _backends.get(identity)
        if backend is None:
            backend = _backends[identity] = _build(*identity)
        return backend


def reset_backends() -> None:
    """Close and forget every backend :func:`get_backend` built; the next call builds anew.

    In-memory counters go with their backend; a shared Redis keeps its keys. For tests
    (``netrun_ratelimit_reset``) and for a process that changed its backend settings.
    """
    with _backends_lock:
        backends = list(_backends.values())
        _backends.clear()
    for backend in backends:
        backend.close()


def _build(path: str, redis_url: str | None, key_prefix: str) -> Backend:
    factory = import_backend(path)
    if BACKEND_ALIASES.get(path, path) == BACKEND_ALIASES["redis"]:
        backend = factory(redis_url, prefix=key_prefix)
    else:
        backend = factory()
    if not isinstance(backend, Backend):
        raise TypeError(f"NETRUN_RATELIMIT_BACKEND {path!r} did not build a Backend")
    return backend
