"""Key loading, the key ring, rotation and the JWKS document."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from netrun.auth import AuthConfig, JWTKey, JWTManager, KeyRing, TokenRejectedError
from netrun.auth.keys import key_ring_from_config
from netrun.errors import ConfigurationError
from tests.auth.conftest import KeyPair


def test_default_kid_is_the_rfc7638_thumbprint(rsa_keys: KeyPair) -> None:
    key = JWTKey.from_pem(private_key=rsa_keys.private_pem)
    jwk = key.public_jwk()
    assert jwk is not None
    # PyJWT computes the same RFC 7638 thumbprint independently.
    expected = jwt.PyJWK(jwk).key  # loads
    assert expected is not None
    assert len(key.kid) == 43
    assert valid_b64url(key.kid)
    assert jwk["kid"] == key.kid
    assert jwk["alg"] == "RS256"
    assert jwk["use"] == "sig"
    assert "d" not in jwk  # never the private part
    assert "PRIVATE" not in repr(key)
    assert rsa_keys.public_pem[30:60] not in repr(key)


def valid_b64url(text: str) -> bool:
    return all(c.isalnum() or c in "-_" for c in text)


def test_public_and_private_keys_must_match(rsa_keys: KeyPair, rsa_keys_2: KeyPair) -> None:
    with pytest.raises(ConfigurationError, match="does not belong"):
        JWTKey.from_pem(private_key=rsa_keys.private_pem, public_key=rsa_keys_2.public_pem)


@pytest.mark.parametrize(
    ("algorithm", "factory"),
    [
        ("RS256", lambda: ec.generate_private_key(ec.SECP256R1())),
        ("ES256", lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        ("ES256", lambda: ec.generate_private_key(ec.SECP384R1())),
        ("RS256", lambda: rsa.generate_private_key(public_exponent=65537, key_size=1024)),  # noqa: S505 - refused on purpose
    ],
)
def test_key_type_must_fit_the_algorithm(algorithm: str, factory: object) -> None:
    private = factory()  # type: ignore[operator]
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ConfigurationError):
        JWTKey.from_pem(algorithm=algorithm, private_key=pem)


def test_bad_inputs_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="not a valid PEM"):
        JWTKey.from_pem(private_key="-----BEGIN PRIVATE KEY-----\nnope\n")
    with pytest.raises(ConfigurationError, match="needs a private or a public key"):
        JWTKey.from_pem()
    with pytest.raises(ConfigurationError, match="uses a secret"):
        JWTKey.from_pem(algorithm="HS256", private_key="x")
    with pytest.raises(ConfigurationError, match="needs a PEM"):
        JWTKey.from_secret("x", algorithm="RS256")
    with pytest.raises(ConfigurationError, match="non-empty"):
        JWTKey.from_secret("")
    with pytest.raises(ConfigurationError, match="Unsupported"):
        JWTKey.from_secret("x", algorithm="none")
    with pytest.raises(ConfigurationError, match="kid"):
        JWTKey.from_secret("x" * 32, kid="../x")
    with pytest.raises(ConfigurationError, match="retire_at"):
        JWTKey.from_secret("x" * 32, retire_at="soon")
    with pytest.raises(ConfigurationError, match="Unusable JWK"):
        JWTKey.from_jwk({"kty": "RSA", "kid": "a"}, algorithm="RS256")


def test_hmac_kid_does_not_reveal_the_secret() -> None:
    key = JWTKey.from_secret("super-secret-value-" * 3)
    assert key.kid.startswith("hs-")
    assert "super" not in key.kid
    assert key.public_jwk() is None


def test_ring_rotation_keeps_old_tokens_valid_until_they_retire(
    config: AuthConfig, rsa_keys_2: KeyPair
) -> None:
    now = [time.time()]
    ring = key_ring_from_config(config, clock=lambda: now[0])
    manager = JWTManager(config, key_ring=ring)
    old_token = manager.create_access_token("1")
    new_key = JWTKey.from_pem(private_key=rsa_keys_2.private_pem, kid="2026-11")
    manager.rotate_keys(ring.rotate(new_key, grace_seconds=600))
    new_token = manager.create_access_token("1")
    assert jwt.get_unverified_header(new_token)["kid"] == "2026-11"
    assert manager.verify(old_token)["sub"] == "1"
    assert [k["kid"] for k in manager.jwks()["keys"]] == ["2026-11", ring.active.kid]
    now[0] += 601  # the old key retires
    with pytest.raises(TokenRejectedError) as caught:
        manager.verify(old_token)
    assert caught.value.reason == "unknown_kid"
    assert [k["kid"] for k in manager.jwks()["keys"]] == ["2026-11"]
    assert len(manager.key_ring.prune()) == 1


def test_ring_rules(rsa_keys: KeyPair, rsa_keys_2: KeyPair) -> None:
    a = JWTKey.from_pem(private_key=rsa_keys.private_pem, kid="a")
    b = JWTKey.from_pem(public_key=rsa_keys_2.public_pem, kid="b")
    with pytest.raises(ConfigurationError, match="at least one"):
        KeyRing([])
    with pytest.raises(ConfigurationError, match="share"):
        KeyRing([a, a])
    with pytest.raises(ConfigurationError, match="not in the ring"):
        KeyRing([a], "zzz")
    ring = KeyRing([a, b])
    assert ring.active is a
    assert len(ring) == 2
    assert "a" in repr(ring)
    assert ring.activate("b").active is b
    with pytest.raises(ConfigurationError, match="Activate another"):
        ring.retire("a")
    with pytest.raises(ConfigurationError, match="private key"):
        ring.rotate(b, grace_seconds=1)
    assert ring.retire("b").get("b") is None


def test_previous_keys_from_configuration(rsa_keys: KeyPair, rsa_keys_2: KeyPair) -> None:
    old = JWTManager(
        AuthConfig(jwt_private_key=rsa_keys_2.private_pem, jwt_kid="old", _env_file=None)
    )
    token = old.create_access_token("1")
    config = AuthConfig(
        jwt_private_key=rsa_keys.private_pem,
        jwt_previous_keys=[
            {
                "kid": "old",
                "public_key": rsa_keys_2.public_pem,
                "retire_at": "2999-01-01T00:00:00Z",
            },
            {"kid": "older", "public_key": rsa_keys_2.public_pem, "retire_at": 1},
            {"kid": "hs-old", "algorithm": "HS256", "secret": "s" * 40},
        ],
        _env_file=None,
    )
    manager = JWTManager(config)
    assert manager.verify(token)["sub"] == "1"
    assert [k["kid"] for k in manager.jwks()["keys"]] == [manager.key_ring.active.kid, "old"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("nope", "must be an object"),
        ({"kid": 3, "public_key": "x"}, "kid must be a string"),
        ({"algorithm": "HS256"}, "needs a secret"),
        ({"kid": "a"}, "needs a public_key"),
    ],
)
def test_bad_previous_keys(rsa_keys: KeyPair, entry: object, message: str) -> None:
    config = AuthConfig.model_construct(
        jwt_algorithm="RS256",
        jwt_private_key=None,
        jwt_private_key_path=None,
        jwt_public_key=rsa_keys.public_pem,
        jwt_public_key_path=None,
        jwt_kid=None,
        jwt_previous_keys=[entry],
    )
    with pytest.raises(ConfigurationError, match=message):
        key_ring_from_config(config)


def test_keys_from_files(tmp_path: Path, rsa_keys: KeyPair) -> None:
    private = tmp_path / "private.pem"
    private.write_text(rsa_keys.private_pem)
    manager = JWTManager(AuthConfig(jwt_private_key_path=private, _env_file=None))
    assert manager.verify(manager.create_access_token("1"))["sub"] == "1"
    with pytest.raises(ConfigurationError, match="cannot read"):
        JWTManager(AuthConfig(jwt_public_key_path=tmp_path / "missing.pem", _env_file=None))


def test_missing_keys_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="AUTH_JWT_PRIVATE_KEY"):
        JWTManager(AuthConfig(_env_file=None))
    with pytest.raises(ConfigurationError, match="AUTH_JWT_SECRET"):
        JWTManager(AuthConfig(jwt_algorithm="HS256", _env_file=None))
