"""The verification cache: repeated access tokens skip the signature, never the revocation check."""

from __future__ import annotations

import time

import pytest

from netrun.auth import (
    AuthConfig,
    JWTManager,
    KeyRing,
    MemoryDenylist,
    TokenExpiredError,
    TokenRejectedError,
)
from netrun.auth.keys import JWTKey
from tests.auth.conftest import KeyPair


def test_a_repeated_token_is_answered_from_the_cache_with_a_fresh_copy(
    manager: JWTManager,
) -> None:
    token = manager.create_access_token("42", roles=["agent"], tenant_id="acme")
    first = manager.verify(token)
    first["roles"].append("admin")  # a caller editing its claims cannot edit the cache
    second = manager.verify(token)
    assert second["roles"] == ["agent"]
    assert second["sub"] == "42"
    assert len(manager._verified) == 1


@pytest.mark.parametrize("revocation", ["jti", "family", "user"])
def test_a_cached_token_is_refused_once_revoked(config: AuthConfig, revocation: str) -> None:
    manager = JWTManager(config, denylist=MemoryDenylist())
    pair = manager.create_token_pair("42")
    claims = manager.verify(pair.access_token)  # now cached
    assert manager.verify(pair.access_token)["jti"] == claims["jti"]
    if revocation == "jti":
        manager.revoke(claims["jti"], expires_at=claims["exp"])
    elif revocation == "family":
        manager.revoke_family(claims["fam"])
    else:
        manager.revoke_user("42")
    with pytest.raises(TokenRejectedError) as caught:
        manager.verify(pair.access_token)
    assert caught.value.reason == "revoked"


def test_a_cached_token_is_refused_once_it_expires(config: AuthConfig) -> None:
    lifetime = config.access_token_lifetime
    # Issued so that it expires one second from now.
    issuer = JWTManager(config, clock=lambda: time.time() - lifetime + 1)
    manager = JWTManager(config)
    token = issuer.create_access_token("42")
    manager.verify(token)
    expires = manager.verify(token)["exp"]
    while time.time() < expires + 0.05:
        time.sleep(0.1)
    with pytest.raises(TokenExpiredError):
        manager.verify(token)
    assert not manager._verified


def test_a_cached_token_whose_key_left_the_ring_is_verified_again(
    config: AuthConfig, rsa_keys_2: KeyPair
) -> None:
    manager = JWTManager(config)
    token = manager.create_access_token("42")
    manager.verify(token)
    other = JWTKey.from_pem(private_key=rsa_keys_2.private_pem)
    manager.rotate_keys(KeyRing([other]))
    with pytest.raises(TokenRejectedError) as caught:
        manager.verify(token)
    assert caught.value.reason == "unknown_kid"


def test_the_cache_is_bounded_least_recently_used_first(config: AuthConfig) -> None:
    manager = JWTManager(config, verify_cache_size=2)
    tokens = [manager.create_access_token(str(n)) for n in range(3)]
    manager.verify(tokens[0])
    manager.verify(tokens[1])
    manager.verify(tokens[0])  # most recent now; tokens[1] is the oldest
    manager.verify(tokens[2])
    assert len(manager._verified) == 2
    assert manager._cached_claims(_digest(tokens[1])) is None
    assert manager._cached_claims(_digest(tokens[0])) is not None


def test_size_zero_turns_the_cache_off_and_refresh_tokens_are_never_cached(
    config: AuthConfig,
) -> None:
    off = JWTManager(config, verify_cache_size=0)
    token = off.create_access_token("42")
    off.verify(token)
    off.verify(token)
    assert not off._verified
    manager = JWTManager(config)
    pair = manager.create_token_pair("42")
    manager.decode(pair.refresh_token, token_type="refresh")
    assert not manager._verified
    # A refresh token presented as an access token is refused, cached access token or not.
    manager.verify(pair.access_token)
    with pytest.raises(TokenRejectedError):
        manager.verify(pair.refresh_token)


def _digest(token: str) -> bytes:
    import hashlib

    return hashlib.sha256(token.encode()).digest()
