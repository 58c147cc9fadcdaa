"""Denylists: in memory, in the Django cache (real Redis), in Redis directly; the shared manager."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from typing import Any

import pytest
from django.test import override_settings

from netrun.auth import (
    AuthConfig,
    JWTManager,
    MemoryDenylist,
    RedisDenylist,
    TokenRejectedError,
    build_denylist,
    get_jwt_manager,
)
from netrun.auth.cache import CacheDenylist
from netrun.errors import ConfigurationError


def test_memory_denylist_expires_entries() -> None:
    now = [0.0]
    denylist = MemoryDenylist(clock=lambda: now[0])
    denylist.deny("jti:a", 10)
    assert denylist.any_denied(["jti:b", "jti:a"])
    assert not denylist.claim("jti:a", 10)
    now[0] = 11
    assert not denylist.any_denied(["jti:a"])
    assert denylist.claim("jti:a", 10)
    assert len(denylist) == 1


def test_memory_claim_is_atomic_under_threads() -> None:
    denylist = MemoryDenylist()
    wins: list[bool] = []
    barrier = threading.Barrier(8)

    def spend() -> None:
        barrier.wait()
        wins.append(denylist.claim("used:x", 60))

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wins.count(True) == 1


def test_revocation_in_django_redis_cache_is_seen_by_another_manager(
    redis_url: str, config: AuthConfig
) -> None:
    caches = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "auth": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url},
    }
    with override_settings(CACHES=caches):
        # Two managers = two workers sharing one Redis.
        worker_a = JWTManager(config, denylist=CacheDenylist("auth"))
        worker_b = JWTManager(config, denylist=CacheDenylist("auth"))
        token = worker_a.create_access_token("1")
        assert worker_b.verify(token)["sub"] == "1"
        worker_a.revoke(worker_a.verify(token)["jti"])
        with pytest.raises(TokenRejectedError) as caught:
            worker_b.verify(token)
        assert caught.value.reason == "revoked"
        # Refresh reuse is detected across workers too.
        pair = worker_a.create_token_pair("1")
        worker_a.refresh(pair.refresh_token)
        with pytest.raises(TokenRejectedError) as caught:
            worker_b.refresh(pair.refresh_token)
        assert caught.value.reason == "refresh_reuse"
        import redis

        keys = redis.Redis.from_url(redis_url).keys("*netrun:auth:*")
        assert keys  # the entries really are in Redis, with a TTL
        assert all(redis.Redis.from_url(redis_url).ttl(key) > 0 for key in keys)


def test_redis_denylist(redis_url: str, config: AuthConfig) -> None:
    denylist = RedisDenylist(url=redis_url, prefix="t:")
    manager = JWTManager(config, denylist=denylist)
    token = manager.create_access_token("1")
    manager.revoke_token(token)
    with pytest.raises(TokenRejectedError):
        manager.verify(token)
    assert denylist.claim("used:1", 5)
    assert not denylist.claim("used:1", 5)
    assert not denylist.any_denied([])
    with pytest.raises(ValueError, match="client or a url"):
        RedisDenylist()


def test_build_denylist_choices(redis_url: str) -> None:
    assert isinstance(build_denylist(AuthConfig(_env_file=None)), CacheDenylist)  # auto, Django
    assert isinstance(build_denylist(AuthConfig(denylist="memory", _env_file=None)), MemoryDenylist)
    redis_config = AuthConfig(denylist="redis", denylist_redis_url=redis_url, _env_file=None)
    assert isinstance(build_denylist(redis_config), RedisDenylist)
    dotted = AuthConfig(denylist="netrun.auth.denylist.MemoryDenylist", _env_file=None)
    assert isinstance(build_denylist(dotted), MemoryDenylist)
    with pytest.raises(ConfigurationError, match="REDIS_URL"):
        build_denylist(AuthConfig(denylist="redis", _env_file=None))
    with pytest.raises(ConfigurationError, match="cannot import"):
        build_denylist(AuthConfig(denylist="no.such.Thing", _env_file=None))
    with pytest.raises(ConfigurationError, match="did not build"):
        build_denylist(AuthConfig(denylist="builtins.dict", _env_file=None))


def test_cache_denylist_empty_query() -> None:
    assert not CacheDenylist().any_denied([])


@pytest.mark.usefixtures("auth_settings")
def test_get_jwt_manager_is_cached_and_follows_settings() -> None:
    first = get_jwt_manager()
    assert get_jwt_manager() is first
    assert isinstance(first.denylist, CacheDenylist)
    with override_settings(NETRUN_AUTH_ACCESS_TOKEN_LIFETIME=60):
        second = get_jwt_manager()
        assert second is not first
        assert second.config.access_token_lifetime == 60


#: The race of refresh-token single use across workers: processes, trials.
RACE_PROCESSES = 8
RACE_TRIALS = 20


def _claim_race(url: str, trials: int, barrier: Any, results: Any) -> None:
    """One worker: claim the trial's key together with the others, report whether it won."""
    denylist = RedisDenylist(url=url, prefix="race:")
    denylist.any_denied(["warm-up"])  # connected before the first start signal
    for trial in range(trials):
        barrier.wait(timeout=120)
        results.put((trial, denylist.claim(f"used:{trial}", 60)))


def test_redis_claim_has_exactly_one_winner_across_processes(redis_url: str) -> None:
    """Single use of a refresh token across workers: SET NX, never EXISTS-then-SET."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(RACE_PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(target=_claim_race, args=(redis_url, RACE_TRIALS, barrier, results))
        for _ in range(RACE_PROCESSES)
    ]
    for worker in workers:
        worker.start()
    try:
        outcomes = [results.get(timeout=120) for _ in range(RACE_PROCESSES * RACE_TRIALS)]
    finally:
        for worker in workers:
            worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0] * RACE_PROCESSES
    wins = Counter(trial for trial, won in outcomes if won)
    assert {trial: wins[trial] for trial in range(RACE_TRIALS)} == dict.fromkeys(
        range(RACE_TRIALS), 1
    )
