"""Revoke every token of a user: on every worker at once, on password change and deactivation."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from netrun.auth import (
    AuthConfig,
    AuthUnavailableError,
    JWTManager,
    MemoryDenylist,
    RedisDenylist,
    TokenRejectedError,
    get_jwt_manager,
    reset_jwt_manager,
)
from netrun.auth.cache import CacheDenylist
from tests.auth.conftest import AUDIENCE, ISSUER, KeyPair

ROOT = Path(__file__).resolve().parents[2]


def _refused(manager: JWTManager, token: str, *, kind: str = "access") -> bool:
    """True when ``token`` is refused as revoked (any other refusal fails the test)."""
    try:
        manager.decode(token, token_type=kind)
    except TokenRejectedError as error:
        reason = error.reason
    else:
        return False
    assert reason == "revoked"
    return True


def test_revoke_user_refuses_every_earlier_token_of_that_user_only(config: AuthConfig) -> None:
    manager = JWTManager(config, denylist=MemoryDenylist())
    ada = manager.create_token_pair("ada", tenant_id="acme")
    ada_other_tenant = manager.create_access_token("ada", tenant_id="globex")
    bob = manager.create_token_pair("bob")
    manager.revoke_user("ada")
    assert _refused(manager, ada.access_token)
    assert _refused(manager, ada_other_tenant)
    assert _refused(manager, ada.refresh_token, kind="refresh")
    with pytest.raises(TokenRejectedError):
        manager.refresh(ada.refresh_token)
    assert not _refused(manager, bob.access_token)
    # revoke_user returned in a later second than the cutoff: a new login works at once.
    fresh = manager.create_token_pair("ada")
    assert manager.verify(fresh.access_token)["sub"] == "ada"
    assert manager.refresh(fresh.refresh_token).access_token


@pytest.mark.parametrize("store", ["memory", "cache", "redis"])
def test_stores_keep_a_cutoff_value_and_answer_in_one_fetch(
    store: str, redis_url: str, request: pytest.FixtureRequest
) -> None:
    if store == "memory":
        denylist: Any = MemoryDenylist()
    elif store == "redis":
        denylist = RedisDenylist(url=redis_url, prefix="cut:")
    else:
        request.getfixturevalue("db")
        denylist = CacheDenylist()
    denylist.store("user:1", 1_700_000_000, 60)
    denylist.deny("jti:a", 60)
    assert denylist.fetch(["jti:a", "fam:x", "user:1"]) == {"jti:a": 1, "user:1": 1_700_000_000}
    assert denylist.fetch([]) == {}
    assert denylist.any_denied(["user:1"])


def test_a_store_without_values_says_so() -> None:
    from netrun.auth import Denylist

    class KeysOnly(Denylist):
        def deny(self, key: str, ttl: int) -> None: ...

        def any_denied(self, keys: Any) -> bool:
            return "jti:a" in keys

        def claim(self, key: str, ttl: int) -> bool:
            return True

    assert KeysOnly().fetch(["jti:a", "jti:b"]) == {"jti:a": 1}
    with pytest.raises(NotImplementedError, match="revoke_user"):
        KeysOnly().store("user:1", 1, 60)


# --------------------------------------------------------------------------- Django wiring


@pytest.fixture
def user(db: None, auth_settings: None) -> Any:
    return get_user_model().objects.create_user("ada", password="pw-123456")


def _token(user: Any) -> str:
    return get_jwt_manager().create_access_token(user.pk)


def _works(token: str) -> bool:
    return not _refused(get_jwt_manager(), token)


def test_password_change_revokes_the_users_tokens(user: Any) -> None:
    token = _token(user)
    assert _works(token)
    user = get_user_model().objects.get(pk=user.pk)  # as a view would load it
    user.set_password("new-pw-654321")
    user.save()
    assert not _works(token)
    assert _works(_token(user))


def test_deactivation_revokes_the_users_tokens(user: Any) -> None:
    token = _token(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert not _works(token)


def test_other_saves_revoke_nothing(user: Any) -> None:
    token = _token(user)
    user.first_name = "Ada"
    user.save()
    from django.contrib.auth.models import update_last_login

    update_last_login(None, user)  # save(update_fields=["last_login"]) on every login
    user.refresh_from_db()
    user.is_active = True
    user.save()
    deferred = get_user_model().objects.only("username").get(pk=user.pk)
    deferred.username = "ada2"
    deferred.save()
    assert _works(token)


def test_the_wiring_can_be_turned_off(user: Any) -> None:
    token = _token(user)
    with override_settings(NETRUN_AUTH_REVOKE_ON_USER_CHANGE=False):
        user.set_password("new-pw-654321")
        user.save()
    assert _works(token)


def test_a_password_change_is_refused_while_the_store_is_down(db: None, rsa_keys: KeyPair) -> None:
    """Fail closed: the old tokens must not outlive the password they were issued under."""
    user = get_user_model().objects.create_user("ada", password="pw-123456")
    old_hash = user.password
    reset_jwt_manager()
    with override_settings(
        NETRUN_AUTH_JWT_PRIVATE_KEY=rsa_keys.private_pem,
        NETRUN_AUTH_DENYLIST="redis",
        NETRUN_AUTH_DENYLIST_REDIS_URL="redis://127.0.0.1:1/0",  # nothing listens there
    ):
        user.set_password("new-pw-654321")
        with pytest.raises(AuthUnavailableError):
            user.save()
    reset_jwt_manager()
    user.refresh_from_db()
    assert user.password == old_hash


# --------------------------------------------------------------------------- a second process

#: Another worker: a framework-neutral manager on the same Redis, verifying tokens it is sent.
WORKER = """
import os, sys
from netrun.auth import AuthConfig, JWTManager, RedisDenylist, TokenRejectedError
manager = JWTManager(
    AuthConfig(
        jwt_public_key=os.environ["W_PUBLIC_KEY"], jwt_issuer=os.environ["W_ISSUER"],
        jwt_audience=os.environ["W_AUDIENCE"], _env_file=None,
    ),
    denylist=RedisDenylist(url=os.environ["W_REDIS_URL"], prefix="netrun:auth:"),
)
print("ready", flush=True)
for line in sys.stdin:
    try:
        print("ok", manager.verify(line.strip())["sub"], flush=True)
    except TokenRejectedError as error:
        print("refused", error.reason, flush=True)
"""


@pytest.fixture
def worker(redis_url: str, rsa_keys: KeyPair) -> Iterator[subprocess.Popen[str]]:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "W_PUBLIC_KEY": rsa_keys.public_pem,
        "W_ISSUER": ISSUER,
        "W_AUDIENCE": AUDIENCE,
        "W_REDIS_URL": redis_url,
    }
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    try:
        yield process
    finally:
        process.kill()
        process.wait(timeout=30)


def _ask(worker: subprocess.Popen[str], token: str) -> str:
    assert worker.stdin is not None
    assert worker.stdout is not None
    worker.stdin.write(token + "\n")
    worker.stdin.flush()
    return worker.stdout.readline().strip()


def test_a_password_change_is_seen_at_once_by_another_process(
    user: Any, redis_url: str, worker: subprocess.Popen[str]
) -> None:
    reset_jwt_manager()
    with override_settings(NETRUN_AUTH_DENYLIST="redis", NETRUN_AUTH_DENYLIST_REDIS_URL=redis_url):
        token = _token(user)
        # The other worker accepts it twice: the second answer comes from its cache.
        assert _ask(worker, token) == f"ok {user.pk}"
        assert _ask(worker, token) == f"ok {user.pk}"
        user.set_password("new-pw-654321")
        user.save()
        assert _ask(worker, token) == "refused revoked"
        assert _ask(worker, _token(user)) == f"ok {user.pk}"
    reset_jwt_manager()
