"""Keys, managers and Django settings for the netrun.auth tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from netrun.auth import AuthConfig, JWTManager, reset_idp_verifier, reset_jwt_manager

ISSUER = "https://auth.netrun.test"
AUDIENCE = "netrun-api"


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    public_pem: str


def _pem(private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> KeyPair:
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(private_pem, public_pem)


@pytest.fixture(scope="session")
def rsa_keys() -> KeyPair:
    return _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="session")
def rsa_keys_2() -> KeyPair:
    return _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="session")
def ec_keys() -> KeyPair:
    return _pem(ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture
def config(rsa_keys: KeyPair) -> AuthConfig:
    return AuthConfig(
        jwt_private_key=rsa_keys.private_pem,
        jwt_public_key=rsa_keys.public_pem,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        _env_file=None,
    )


@pytest.fixture
def manager(config: AuthConfig) -> JWTManager:
    return JWTManager(config)


@pytest.fixture
def auth_settings(rsa_keys: KeyPair, settings: object) -> Iterator[None]:
    """Django settings with netrun JWT keys; the shared manager is rebuilt around the test."""
    from django.test import override_settings

    reset_jwt_manager()
    reset_idp_verifier()
    with override_settings(
        NETRUN_AUTH_JWT_PRIVATE_KEY=rsa_keys.private_pem,
        NETRUN_AUTH_JWT_PUBLIC_KEY=rsa_keys.public_pem,
        NETRUN_AUTH_JWT_ISSUER=ISSUER,
        NETRUN_AUTH_JWT_AUDIENCE=AUDIENCE,
    ):
        yield
    reset_jwt_manager()
    reset_idp_verifier()
