"""Key pairs for tests: PEM text, generated once per session by the plugin's fixtures.

Imported by the fixtures only (it needs ``cryptography``, which the ``[auth]`` extra brings).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

__all__ = ["KeyPair", "generate_ec_key_pair", "generate_rsa_key_pair"]


@dataclass(frozen=True)
class KeyPair:
    """A private and a public key as PEM text, and the JWT algorithm they sign with.

    Unpacks like the seeds' ``rsa_key_pair`` tuple: ``private_pem, public_pem = pair``.
    """

    private_pem: str
    public_pem: str
    algorithm: str

    def __iter__(self) -> Iterator[str]:
        yield self.private_pem
        yield self.public_pem


def _pair(private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, algorithm: str) -> KeyPair:
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
    return KeyPair(private_pem, public_pem, algorithm)


def generate_rsa_key_pair(key_size: int = 2048) -> KeyPair:
    """A new RSA key pair for RS256 (2048 bits: the smallest size PyJWT accepts quietly)."""
    return _pair(rsa.generate_private_key(public_exponent=65537, key_size=key_size), "RS256")


def generate_ec_key_pair() -> KeyPair:
    """A new P-256 key pair for ES256."""
    return _pair(ec.generate_private_key(ec.SECP256R1()), "ES256")
