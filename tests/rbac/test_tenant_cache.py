"""TenantMiddleware's cache: served from memory, and refused on the very next request after a
tenant is deactivated or deleted or a membership removed, in this process and from another."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext

from netrun.rbac import checks
from netrun.rbac._tenant_cache import GENERATION_KEY, MISSING, TenantCache
from netrun.rbac.middleware import TenantMiddleware, clear_tenant_cache, tenant_cache
from netrun.rbac.models import Membership, Tenant
from netrun.rbac.scope import unscoped
from tests.rbac.conftest import World

ROOT = Path(__file__).resolve().parents[2]

seen: list[Any] = []


def _view(request: HttpRequest) -> HttpResponse:
    seen.append(request.tenant)  # type: ignore[attr-defined]
    return HttpResponse(str(request.tenant.pk))  # type: ignore[attr-defined]


middleware = TenantMiddleware(_view)


def ask(user: Any, tenant: str) -> tuple[int, int]:
    """The status of ``user``'s request naming ``tenant``, and the queries it took."""
    request = RequestFactory().get("/", HTTP_X_TENANT_ID=tenant)
    request.user = user
    with CaptureQueriesContext(connection) as queries:
        response = middleware(request)
    return response.status_code, len(queries)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_tenant_cache()
    seen.clear()
    yield
    clear_tenant_cache()


def _warm(user: Any, tenant: str) -> None:
    assert ask(user, tenant)[0] == 200
    assert ask(user, tenant) == (200, 0)  # the second answer comes from the cache


# --------------------------------------------------------------------------- this process


def test_a_deactivated_tenant_is_refused_on_the_next_request(world: World) -> None:
    _warm(world.alice, "acme")
    world.a.is_active = False
    world.a.save()
    assert ask(world.alice, "acme")[0] == 403
    assert ask(world.alice, str(world.a.pk))[0] == 403


def test_a_removed_membership_is_refused_on_the_next_request(world: World) -> None:
    _warm(world.alice, "acme")
    Membership.objects.get(user=world.alice, tenant=world.a).delete()
    assert ask(world.alice, "acme")[0] == 403


def test_a_suspended_membership_is_refused_on_the_next_request(world: World) -> None:
    _warm(world.alice, "acme")
    membership = Membership.objects.get(user=world.alice, tenant=world.a)
    membership.is_active = False
    membership.save()
    assert ask(world.alice, "acme")[0] == 403


def test_a_deleted_tenant_is_unknown_on_the_next_request(world: World) -> None:
    _warm(world.bob, "globex")
    with unscoped(reason="test: delete a tenant and everything it owns"):
        world.b.delete()  # its memberships go with it
    assert ask(world.bob, "globex") == (403, 1)  # asked the database: unknown


def test_a_changed_slug_no_longer_names_the_tenant(world: World) -> None:
    _warm(world.bob, "globex")
    world.b.slug = "initech"
    world.b.save()
    assert ask(world.bob, "globex")[0] == 403
    assert ask(world.bob, "initech")[0] == 200


def test_a_refusal_and_an_unknown_tenant_are_not_cached(world: World) -> None:
    assert ask(world.bob, "acme")[0] == 403
    assert ask(world.bob, "initech") == (403, 1)  # not an int: by slug only
    Tenant.objects.create(slug="initech", name="Initech")
    Membership.objects.create(user=world.bob, tenant=world.a)
    assert ask(world.bob, "acme")[0] == 200
    assert ask(world.bob, "initech")[0] == 403  # found now, and bob is not a member


def test_each_request_gets_its_own_copy_of_the_tenant(world: World) -> None:
    _warm(world.alice, "acme")
    first, second = seen[-2:]
    assert first == second == world.a
    assert first is not second
    second.name = "Edited by a view"
    ask(world.alice, "acme")
    assert seen[-1].name == "Acme"


@pytest.mark.django_db(transaction=True)
def test_a_commit_invalidates_again(world: World) -> None:
    """A process that read the new generation before the commit may cache the old row."""
    cache = tenant_cache()
    assert cache is not None
    with transaction.atomic():
        world.a.is_active = False
        world.a.save()
        # Another reader, between the save and the commit, still sees the active row.
        stale = Tenant.objects.get(pk=world.a.pk)
        stale.is_active = True
        cache.put(("tenant", "acme"), cache.generation(), stale)
        assert cache.get(("tenant", "acme"), cache.generation()) is not MISSING
    assert cache.get(("tenant", "acme"), cache.generation()) is MISSING
    assert ask(world.alice, "acme")[0] == 403


def test_a_bulk_update_is_seen_after_clear_tenant_cache(world: World) -> None:
    """QuerySet.update() sends no signal: the TTL bounds it, clear_tenant_cache() ends it."""
    _warm(world.alice, "acme")
    Tenant.objects.filter(pk=world.a.pk).update(is_active=False)
    assert ask(world.alice, "acme") == (200, 0)  # within the TTL, as documented
    clear_tenant_cache()
    assert ask(world.alice, "acme")[0] == 403


def test_an_entry_lives_at_most_the_ttl() -> None:
    now = [100.0]
    cache = TenantCache(size=8, ttl=5.0, clock=lambda: now[0])
    generation = cache.generation()
    cache.put("k", generation, True)
    now[0] = 104.9
    assert cache.get("k", generation) is True
    now[0] = 105.0
    assert cache.get("k", generation) is MISSING


def test_the_cache_is_bounded_and_drops_the_least_recently_used() -> None:
    cache = TenantCache(size=2, ttl=5.0)
    generation = cache.generation()
    cache.put("a", generation, 1)
    cache.put("b", generation, 2)
    assert cache.get("a", generation) == 1
    cache.put("c", generation, 3)
    assert len(cache) == 2
    assert cache.get("b", generation) is MISSING
    assert (cache.get("a", generation), cache.get("c", generation)) == (1, 3)


def test_an_entry_of_another_generation_is_not_used() -> None:
    cache = TenantCache(size=8, ttl=5.0)
    old = cache.generation()
    cache.put("k", old, True)
    cache.clear_local()
    assert cache.generation() != old
    assert cache.get("k", cache.generation()) is MISSING
    cache.put("k", None, True)  # no generation: nothing is stored
    assert len(cache) == 0


@override_settings(NETRUN_RBAC_TENANT_CACHE_SIZE=0)
def test_size_zero_turns_the_cache_off(world: World) -> None:
    assert tenant_cache() is None
    assert ask(world.alice, "acme") == (200, 2)
    assert ask(world.alice, "acme") == (200, 2)


def test_an_unreachable_generation_store_leaves_the_decision_to_the_database(
    world: World,
) -> None:
    unreachable = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
    }
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                "down": unreachable},
        NETRUN_RBAC_TENANT_CACHE_ALIAS="down",
    ):  # fmt: skip
        assert ask(world.alice, "acme") == (200, 2)
        assert ask(world.alice, "acme") == (200, 2)  # never from memory
        Tenant.objects.filter(pk=world.a.pk).update(is_active=False)  # no signal needed
        assert ask(world.alice, "acme")[0] == 403


def test_a_shared_generation_on_redis_is_read_and_renewed(world: World, redis_url: str) -> None:
    shared = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    with override_settings(CACHES={"default": shared}):
        cache = tenant_cache()
        assert cache is not None
        before = cache.generation()
        _warm(world.alice, "acme")
        # What another process does on a change: a new shared generation, nothing local.
        from django.core.cache import caches

        caches["default"].set(GENERATION_KEY, "from-another-process", timeout=None)
        assert cache.generation() != before
        assert ask(world.alice, "acme") == (200, 2)  # asked the database again
        caches["default"].delete(GENERATION_KEY)  # lost (a Redis restart): a new one
        assert ask(world.alice, "acme") == (200, 2)


def test_a_locmem_generation_is_not_read_or_written(world: World) -> None:
    """It would tell nothing the receivers in this process did not: no cost per request."""
    from django.core.cache import caches

    _warm(world.alice, "acme")
    world.a.save()
    assert caches["default"].get(GENERATION_KEY) is None


# --------------------------------------------------------------------------- checks


def ids(messages: list[Any]) -> list[str]:
    return [message.id for message in messages]


def test_the_defaults_pass_the_checks() -> None:
    assert checks.check_tenant_cache() == []


@override_settings(NETRUN_RBAC_TENANT_CACHE_SIZE=-1)
def test_e010_negative_size() -> None:
    assert ids(checks.check_tenant_cache()) == ["netrun.rbac.E010"]
    assert tenant_cache() is None


@pytest.mark.parametrize("ttl", [0, -1, 301, float("nan"), float("inf")])
def test_e011_ttl_out_of_range(ttl: float) -> None:
    with override_settings(NETRUN_RBAC_TENANT_CACHE_TTL=ttl):
        assert ids(checks.check_tenant_cache()) == ["netrun.rbac.E011"]
        assert tenant_cache() is None  # off, not on with a wrong TTL


@override_settings(NETRUN_RBAC_TENANT_CACHE_ALIAS="missing")
def test_e012_alias_not_in_caches() -> None:
    assert ids(checks.check_tenant_cache()) == ["netrun.rbac.E012"]


@pytest.mark.parametrize("alias", [None, "default"])
def test_w008_per_process_generation_in_production(alias: str | None) -> None:
    with override_settings(
        NETRUN_RBAC_TENANT_CACHE_ALIAS=alias,
        NETRUN_APP_ENVIRONMENT="production",
        MIDDLEWARE=[checks.AUTH_MIDDLEWARE, checks.MIDDLEWARE_PATH],
    ):
        assert ids(checks.check_tenant_cache()) == ["netrun.rbac.W008"]
        with override_settings(NETRUN_RBAC_TENANT_CACHE_SIZE=0):
            assert checks.check_tenant_cache() == []


def test_w008_not_with_a_shared_cache(redis_url: str) -> None:
    shared = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    with override_settings(
        CACHES={"default": shared},
        NETRUN_APP_ENVIRONMENT="production",
        MIDDLEWARE=[checks.AUTH_MIDDLEWARE, checks.MIDDLEWARE_PATH],
    ):
        assert checks.check_tenant_cache() == []


# --------------------------------------------------------------------------- another process


@pytest.fixture
def processes(postgres_dsn: str, redis_url: str) -> Iterator[tuple[dict[str, str], Any]]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.rbac.tenant_cache_settings",
        "NETRUN_TC_DSN": postgres_dsn,
        "NETRUN_TC_REDIS": redis_url,
    }
    script = "tests/rbac/tenant_cache_process.py"

    def run(*args: str) -> None:
        done = subprocess.run(
            [sys.executable, script, *args],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr

    run("setup")
    server = subprocess.Popen(
        [sys.executable, script, "serve"],
        cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert server.stdout is not None
    assert server.stdout.readline().strip() == "ready"
    try:
        yield run, server
    finally:
        server.kill()
        server.wait(timeout=30)


def _serve(server: subprocess.Popen[str], line: str) -> str:
    assert server.stdin is not None
    assert server.stdout is not None
    server.stdin.write(line + "\n")
    server.stdin.flush()
    return server.stdout.readline().strip()


def test_another_process_deactivating_or_removing_is_seen_by_the_next_request(
    processes: tuple[Any, subprocess.Popen[str]],
) -> None:
    run, server = processes
    for who, tenant in (("ada", "acme"), ("bob", "acme"), ("cy", "globex")):
        assert _serve(server, f"{tenant} {who}").split()[0] == "200"
        assert _serve(server, f"{tenant} {who}") == "200 0"  # from the cache
    run("write", "remove-bob")
    assert _serve(server, "acme bob").split()[0] == "403"
    assert _serve(server, "acme ada").split()[0] == "200"
    run("write", "suspend-cy")
    assert _serve(server, "globex cy").split()[0] == "403"
    run("write", "deactivate-acme")
    assert _serve(server, "acme ada").split()[0] == "403"
