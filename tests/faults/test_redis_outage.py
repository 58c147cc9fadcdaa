"""netrun.auth and /health/ with the denylist's Redis really down: killed under load, restarted.

The Django cache (``RedisCache``) and the denylist live on a Redis of the test's own
(``own_redis``), killed with SIGKILL in the middle of a bounded load of authenticated
requests (DRF view and plain view behind ``JWTAuthenticationMiddleware``), then restarted.
What each feature does is documented in docs/faults.md; these tests pin it.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client, override_settings

from netrun.auth import get_jwt_manager, reset_jwt_manager
from tests.auth.conftest import AUDIENCE, ISSUER, KeyPair
from tests.faults.conftest import OwnRedis

pytestmark = pytest.mark.urls("tests.faults.urls")

JWT_MIDDLEWARE = "netrun.auth.middleware.JWTAuthenticationMiddleware"
#: Requests per load thread and phase (up, down, restarted): a short, bounded load.
PER_PHASE = 40
THREADS = 3


def _settings(redis_url: str, rsa_keys: KeyPair, **extra: Any) -> override_settings:
    from django.conf import settings

    middleware = list(settings.MIDDLEWARE)
    middleware.insert(
        middleware.index("netrun.errors.middleware.ErrorEnvelopeMiddleware"), JWT_MIDDLEWARE
    )
    return override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
                "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            }
        },
        MIDDLEWARE=middleware,
        NETRUN_AUTH_DENYLIST="cache",
        NETRUN_AUTH_STATELESS_USERS=True,
        NETRUN_AUTH_JWT_PRIVATE_KEY=rsa_keys.private_pem,
        NETRUN_AUTH_JWT_PUBLIC_KEY=rsa_keys.public_pem,
        NETRUN_AUTH_JWT_ISSUER=ISSUER,
        NETRUN_AUTH_JWT_AUDIENCE=AUDIENCE,
        **extra,
    )


@pytest.fixture
def on_own_redis(own_redis: OwnRedis, rsa_keys: KeyPair) -> Iterator[OwnRedis]:
    reset_jwt_manager()
    with _settings(own_redis.url, rsa_keys):
        yield own_redis
    reset_jwt_manager()


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT": "application/json"}


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "AUTH_UNAVAILABLE"
    assert response["Retry-After"] == "5"


class Load:
    """Threads sending authenticated requests, PER_PHASE each per phase: a bounded load.

    The main thread moves the phase on (``advance``); a thread that used its budget for the
    phase waits for the next one, so a slow Redis start-up cannot use up the load.
    """

    PHASES = ("up", "down", "restarted")

    def __init__(self, token: str) -> None:
        self.token = token
        self.statuses: list[tuple[str, int, str | None]] = []
        self.lock = threading.Condition()
        self.phase = "up"
        self.threads = [threading.Thread(target=self._run, args=(n,)) for n in range(THREADS)]

    def _run(self, n: int) -> None:
        client = Client(raise_request_exception=False)
        path = "/api/me/" if n % 2 == 0 else "/plain/"
        sent: Counter[str] = Counter()
        while True:
            with self.lock:
                phase = self.phase
                if phase == "done":
                    return
                if sent[phase] >= PER_PHASE:
                    # Budget used: wait for the main thread to move the phase on.
                    self.lock.wait_for(lambda current=phase: self.phase != current, timeout=120)
                    continue
            sent[phase] += 1
            response = client.get(path, **bearer(self.token))
            is_json = response.get("Content-Type", "").startswith("application/json")
            failed = is_json and response.status_code >= 400
            code = response.json()["error"]["code"] if failed else None
            with self.lock:
                self.statuses.append((phase, response.status_code, code))
                self.lock.notify_all()

    def wait_for(self, phase: str, status: int, count: int) -> None:
        """Until ``count`` responses of ``status`` were seen in ``phase``, or its budget ran out."""

        def seen() -> bool:
            in_phase = [s for p, s, _ in self.statuses if p == phase]
            return in_phase.count(status) >= count or len(in_phase) >= THREADS * PER_PHASE

        with self.lock:
            self.lock.wait_for(seen, timeout=120)

    def advance(self, phase: str) -> None:
        with self.lock:
            self.phase = phase
            self.lock.notify_all()

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.advance("done")
        for thread in self.threads:
            thread.join()


def test_killing_redis_under_load_gives_503s_never_500s_and_recovers(
    on_own_redis: OwnRedis,
) -> None:
    token = get_jwt_manager().create_access_token("7")
    with Load(token) as load:
        load.wait_for("up", 200, 10)
        load.advance("down")
        load.wait_for("down", 200, 3)  # the kill lands while requests are in flight
        on_own_redis.kill()
        load.wait_for("down", 503, 10)
        on_own_redis.start()
        load.advance("restarted")
        load.wait_for("restarted", 200, 10)

    counts = Counter((phase, status) for phase, status, _ in load.statuses)
    assert {status for _, status, _ in load.statuses} <= {200, 503}, counts
    assert counts[("up", 200)] >= 10
    assert counts[("down", 503)] >= 10
    assert counts[("restarted", 200)] >= 10
    # Every 503 is the documented envelope, not a driver error dressed up.
    assert {code for _, status, code in load.statuses if status == 503} == {"AUTH_UNAVAILABLE"}
    assert len(load.statuses) <= THREADS * PER_PHASE * len(Load.PHASES)


@pytest.mark.django_db
def test_with_redis_down_each_feature_answers_as_documented(on_own_redis: OwnRedis) -> None:
    manager = get_jwt_manager()
    pair = manager.create_token_pair("7")
    client = Client(raise_request_exception=False)
    on_own_redis.kill()

    # Access tokens: fail closed (the revocation check cannot be made), DRF and plain views.
    assert_unavailable(client.get("/api/me/", **bearer(pair.access_token)))
    assert_unavailable(client.get("/plain/", **bearer(pair.access_token)))
    # Refresh: fail closed, nothing issued (single use cannot be promised).
    assert_unavailable(
        client.post(
            "/api/token/refresh/",
            {"refresh_token": pair.refresh_token},
            content_type="application/json",
        )
    )
    # Revocation (logout): fail closed, the client is told it did not happen.
    assert_unavailable(
        client.post("/api/logout/", {"token": pair.access_token}, content_type="application/json")
    )
    # Requests without a token never touch the denylist.
    assert client.get("/plain/", HTTP_ACCEPT="application/json").status_code == 200
    # /health/ names the cache.
    health = client.get("/health/")
    assert health.status_code == 503
    assert health.json()["down"] == ["cache"]
    assert health.json()["checks"]["database"]["ok"] is True

    on_own_redis.start()
    assert client.get("/api/me/", **bearer(pair.access_token)).status_code == 200
    assert client.get("/health/").json()["down"] == []
    refreshed = client.post(
        "/api/token/refresh/",
        {"refresh_token": pair.refresh_token},
        content_type="application/json",
    )
    assert refreshed.status_code == 200


def test_fail_open_accepts_access_tokens_but_refresh_stays_closed(
    own_redis: OwnRedis, rsa_keys: KeyPair
) -> None:
    reset_jwt_manager()
    with _settings(own_redis.url, rsa_keys, NETRUN_AUTH_DENYLIST_FAIL_OPEN=True):
        pair = get_jwt_manager().create_token_pair("7")
        client = Client(raise_request_exception=False)
        own_redis.kill()
        assert client.get("/api/me/", **bearer(pair.access_token)).json()["sub"] == "7"
        assert client.get("/plain/", **bearer(pair.access_token)).status_code == 200
        assert_unavailable(
            client.post(
                "/api/token/refresh/",
                {"refresh_token": pair.refresh_token},
                content_type="application/json",
            )
        )
    reset_jwt_manager()


def test_a_restart_without_persistence_forgets_revocations_and_spent_refresh_tokens(
    on_own_redis: OwnRedis,
) -> None:
    """The documented loss: what the denylist held is gone after a restart without persistence."""
    manager = get_jwt_manager()
    client = Client(raise_request_exception=False)
    revoked = manager.create_token_pair("7")
    manager.revoke_token(revoked.access_token)
    spent = manager.create_token_pair("8")
    manager.refresh(spent.refresh_token)
    assert client.get("/api/me/", **bearer(revoked.access_token)).status_code == 401

    on_own_redis.restart()

    assert client.get("/api/me/", **bearer(revoked.access_token)).status_code == 200
    again = client.post(
        "/api/token/refresh/",
        {"refresh_token": spent.refresh_token},
        content_type="application/json",
    )
    assert again.status_code == 200


def test_a_restart_with_an_append_only_file_keeps_the_denylist(
    own_persistent_redis: OwnRedis, rsa_keys: KeyPair
) -> None:
    """The guarantee with persistence: revocations and spent tokens survive a crash."""
    reset_jwt_manager()
    with _settings(own_persistent_redis.url, rsa_keys):
        manager = get_jwt_manager()
        client = Client(raise_request_exception=False)
        revoked = manager.create_token_pair("7")
        manager.revoke_token(revoked.access_token)
        spent = manager.create_token_pair("8")
        manager.refresh(spent.refresh_token)

        own_persistent_redis.restart()  # SIGKILL, then start on the same append-only file

        assert client.get("/api/me/", **bearer(revoked.access_token)).status_code == 401
        reuse = client.post(
            "/api/token/refresh/",
            {"refresh_token": spent.refresh_token},
            content_type="application/json",
        )
        assert reuse.status_code == 401
    reset_jwt_manager()


def test_the_async_middleware_answers_503_with_redis_down(on_own_redis: OwnRedis) -> None:
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    token = get_jwt_manager().create_access_token("7")
    on_own_redis.kill()

    async def scenario() -> Any:
        return await AsyncClient(raise_request_exception=False).get(
            "/plain-async/",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )

    assert_unavailable(async_to_sync(scenario)())
