"""netrun.auth.W002/W003 (``check --deploy``): is the denylist's Redis persistent?"""

from __future__ import annotations

import socket

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from netrun.auth.checks import check_denylist_persistence
from tests.faults.conftest import OwnRedis


def _cache(url: str) -> dict[str, dict[str, str]]:
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}


def ids(url: str, **extra: object) -> list[str]:
    extra.setdefault("NETRUN_AUTH_DENYLIST", "cache")
    with override_settings(CACHES=_cache(url), **extra):
        return [message.id for message in check_denylist_persistence()]


def test_a_redis_without_persistence_is_w002(own_redis: OwnRedis) -> None:
    assert ids(own_redis.url) == ["netrun.auth.W002"]


def test_a_redis_with_an_append_only_file_passes(own_persistent_redis: OwnRedis) -> None:
    assert ids(own_persistent_redis.url) == []


def test_the_redis_denylist_url_is_checked_too(own_redis: OwnRedis) -> None:
    with override_settings(
        NETRUN_AUTH_DENYLIST="redis", NETRUN_AUTH_DENYLIST_REDIS_URL=own_redis.url
    ):
        assert [m.id for m in check_denylist_persistence()] == ["netrun.auth.W002"]


def test_an_unreachable_redis_is_w003() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert ids(f"redis://127.0.0.1:{port}/0") == ["netrun.auth.W003"]


@pytest.mark.parametrize(
    "caches",
    [
        {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": []}},
    ],
)
def test_a_denylist_not_on_redis_is_not_checked(caches: dict[str, object]) -> None:
    with override_settings(CACHES=caches):
        assert check_denylist_persistence() == []


# Django 6.1 runs the model checks against the databases (a JSONField's asks SQLite).
@pytest.mark.django_db
def test_the_check_runs_only_with_deploy(own_redis: OwnRedis) -> None:
    with override_settings(CACHES=_cache(own_redis.url), NETRUN_AUTH_DENYLIST="cache"):
        assert "netrun.auth.W002" not in {m.id for m in run_checks()}
        assert "netrun.auth.W002" in {m.id for m in run_checks(include_deployment_checks=True)}


def test_a_list_or_comma_location_uses_the_first_server(own_redis: OwnRedis) -> None:
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": [f"{own_redis.url},redis://127.0.0.1:1/0"],
        }
    }
    with override_settings(CACHES=caches, NETRUN_AUTH_DENYLIST="cache"):
        assert [m.id for m in check_denylist_persistence()] == ["netrun.auth.W002"]


def test_a_memory_denylist_is_not_checked(own_redis: OwnRedis) -> None:
    assert ids(own_redis.url, NETRUN_AUTH_DENYLIST="memory") == []
