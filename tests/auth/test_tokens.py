"""JWTManager: issuing, verifying, refresh rotation and revocation."""

from __future__ import annotations

import time

import jwt
import pytest

from netrun.auth import (
    AuthConfig,
    JWTManager,
    MemoryDenylist,
    TokenExpiredError,
    TokenRejectedError,
)
from netrun.errors import ConfigurationError
from netrun.logging.testing import capture_logs
from tests.auth.conftest import AUDIENCE, ISSUER, KeyPair


def test_access_token_round_trip_carries_the_seed_claims(manager: JWTManager) -> None:
    token = manager.create_access_token(
        user_id=42, roles=["agent"], tenant_id="acme", permissions=["tickets.read"], plan="pro"
    )
    claims = manager.verify(token)
    assert claims["sub"] == "42"
    assert claims["roles"] == ["agent"]
    assert claims["tenant_id"] == "acme"
    assert claims["permissions"] == ["tickets.read"]
    assert claims["plan"] == "pro"
    assert claims["iss"] == ISSUER
    assert claims["aud"] == AUDIENCE
    assert claims["token_type"] == "access"
    assert claims["exp"] - claims["iat"] == manager.config.access_token_lifetime
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "RS256", "kid": manager.key_ring.active.kid, "typ": "JWT"}


def test_seed_fixture_pattern_works(rsa_keys: KeyPair) -> None:
    # pytest-fixtures' auth_token_factory: AuthConfig(jwt_private_key=..., jwt_public_key=...)
    manager = JWTManager(
        AuthConfig(
            jwt_private_key=rsa_keys.private_pem.encode(),
            jwt_public_key=rsa_keys.public_pem.encode(),
            _env_file=None,
        )
    )
    token = manager.create_access_token(user_id="u1", roles=["user"], email="a@b.c")
    assert manager.decode(token)["email"] == "a@b.c"


def test_reserved_claims_cannot_be_overridden(manager: JWTManager) -> None:
    with pytest.raises(ValueError, match="exp"):
        manager.create_access_token("1", exp=0)
    with pytest.raises(ValueError, match="user_id"):
        manager.create_access_token("")


def test_refresh_token_is_not_an_access_token(manager: JWTManager) -> None:
    refresh = manager.create_refresh_token("1")
    with pytest.raises(TokenRejectedError) as caught:
        manager.verify(refresh)
    assert caught.value.reason == "wrong_token_type"
    assert manager.decode(refresh, token_type="refresh")["fam"]


def test_refresh_rotates_and_keeps_claims(manager: JWTManager) -> None:
    pair = manager.create_token_pair("7", roles=["admin"], tenant_id="acme", permissions=["x"])
    assert pair.as_dict()["token_type"] == "Bearer"
    new = manager.refresh(pair.refresh_token)
    access = manager.verify(new.access_token)
    assert access["roles"] == ["admin"]
    assert access["tenant_id"] == "acme"
    assert access["permissions"] == ["x"]
    old_family = manager.decode(pair.refresh_token, token_type="refresh")["fam"]
    assert manager.decode(new.refresh_token, token_type="refresh")["fam"] == old_family
    assert new.refresh_token != pair.refresh_token


def test_refresh_reuse_revokes_the_whole_family(manager: JWTManager) -> None:
    pair = manager.create_token_pair("7", tenant_id="acme")
    rotated = manager.refresh(pair.refresh_token)
    with capture_logs() as logs, pytest.raises(TokenRejectedError) as caught:
        manager.refresh(pair.refresh_token)  # the stolen copy is replayed
    assert caught.value.reason == "refresh_reuse"
    assert any(entry["event"] == "refresh_token_reuse_detected" for entry in logs)
    # Everything in the family is dead now: the rotated refresh and both access tokens.
    for token, kind in (
        (rotated.refresh_token, "refresh"),
        (rotated.access_token, "access"),
        (pair.access_token, "access"),
    ):
        with pytest.raises(TokenRejectedError) as caught:
            manager.decode(token, token_type=kind)
        assert caught.value.reason == "revoked"


def test_revoke_by_jti_and_by_token(manager: JWTManager) -> None:
    first = manager.create_access_token("1")
    manager.revoke(manager.verify(first)["jti"])
    with pytest.raises(TokenRejectedError, match="invalid"):
        manager.verify(first)
    second = manager.create_token_pair("2")
    manager.revoke_token(second.refresh_token)
    with pytest.raises(TokenRejectedError):
        manager.verify(second.access_token)  # same family
    with pytest.raises(ValueError, match="jti"):
        manager.revoke("")


def test_revoke_token_ignores_expired_tokens(config: AuthConfig) -> None:
    past = JWTManager(config, clock=lambda: time.time() - 10_000)
    denylist = MemoryDenylist()
    manager = JWTManager(config, denylist=denylist)
    manager.revoke_token(past.create_access_token("1"))
    assert len(denylist) == 0


def test_hs256_and_es256_managers(ec_keys: KeyPair) -> None:
    hs = JWTManager(AuthConfig(jwt_algorithm="hs256", jwt_secret="s" * 40, _env_file=None))
    assert hs.verify(hs.create_access_token("1"))["sub"] == "1"
    assert hs.jwks() == {"keys": []}
    es = JWTManager(
        AuthConfig(jwt_algorithm="ES256", jwt_private_key=ec_keys.private_pem, _env_file=None)
    )
    token = es.create_access_token("1")
    assert jwt.get_unverified_header(token)["alg"] == "ES256"
    assert es.verify(token)["sub"] == "1"
    assert es.jwks()["keys"][0]["crv"] == "P-256"


def test_verify_only_manager_cannot_sign(rsa_keys: KeyPair) -> None:
    manager = JWTManager(AuthConfig(jwt_public_key=rsa_keys.public_pem, _env_file=None))
    with pytest.raises(ConfigurationError, match="only verify"):
        manager.create_access_token("1")


def test_lifetimes_must_be_positive(config: AuthConfig) -> None:
    with pytest.raises(ConfigurationError):
        JWTManager(config.model_copy(update={"access_token_lifetime": 0}))


def test_unknown_algorithm_is_a_validation_error() -> None:
    from netrun.errors import ValidationError

    with pytest.raises(ValidationError):
        AuthConfig(jwt_algorithm="none", _env_file=None)
    with pytest.raises(ValidationError):
        AuthConfig(idp_algorithms=["HS256"], _env_file=None)


def test_bytes_and_oversized_tokens(manager: JWTManager) -> None:
    token = manager.create_access_token("1")
    assert manager.verify(token.encode())["sub"] == "1"
    with pytest.raises(TokenRejectedError):
        manager.verify(b"\xff\xfe")
    with pytest.raises(TokenRejectedError):
        manager.verify("a" * 20_000)
    with pytest.raises(TokenRejectedError):
        manager.verify("not-a-jwt")


def test_missing_kid_uses_the_active_key_unless_required(
    manager: JWTManager, config: AuthConfig, rsa_keys: KeyPair
) -> None:
    now = int(time.time())
    claims = {
        "sub": "1", "iat": now, "exp": now + 60, "jti": "j", "token_type": "access",
        "iss": ISSUER, "aud": AUDIENCE,
    }  # fmt: skip
    token = jwt.encode(claims, rsa_keys.private_pem, algorithm="RS256")
    assert manager.verify(token)["sub"] == "1"
    strict = JWTManager(config.model_copy(update={"require_kid": True}))
    with pytest.raises(TokenRejectedError) as caught:
        strict.verify(token)
    assert caught.value.reason == "missing_kid"


def test_expired_error_class(config: AuthConfig) -> None:
    past = JWTManager(config, clock=lambda: time.time() - 10_000)
    with pytest.raises(TokenExpiredError):
        JWTManager(config).verify(past.create_access_token("1"))
