"""Signing keys and the key ring: several keys by ``kid``, one active, old ones until they retire.

A :class:`JWTKey` fixes its algorithm when it is loaded from configuration. Verification asks
the ring for the key named by the token's ``kid`` and uses *that key's* algorithm, so the
token's ``alg`` header can never choose how it is checked (RFC 8725 section 2.1): an RS256
key never verifies an HS256 signature, and ``none`` is not an algorithm at all.

Rotation without downtime::

    ring = KeyRing([old_key])
    ring = ring.rotate(new_key, grace_seconds=manager.config.access_token_lifetime)

The new key signs from now on; the old one still verifies tokens it signed until
``retire_at`` and then disappears from :meth:`KeyRing.get` and from the JWKS document.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from netrun.auth.conf import ALGORITHMS, AuthConfig
from netrun.errors import ConfigurationError

__all__ = ["KID_PATTERN", "JWTKey", "KeyRing", "key_ring_from_config", "valid_kid"]

#: What a ``kid`` may look like: base64url and hex thumbprints, dots and dashes. No slashes,
#: quotes, spaces or SQL metacharacters: a kid is only ever a dictionary key here, but it is
#: refused before it can reach a log line, a cache key or anyone else's lookup.
KID_PATTERN = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$")

#: RSA keys shorter than this are refused (NIST SP 800-131A).
MIN_RSA_BITS = 2048

_CURVES = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}
_HMAC_MIN_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}

Clock = Callable[[], float]


def valid_kid(kid: object) -> bool:
    """True when ``kid`` is a string netrun accepts as a key ID."""
    return isinstance(kid, str) and KID_PATTERN.match(kid) is not None and ".." not in kid


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256): the required members, sorted, compact JSON."""
    members = ("e", "kty", "n") if jwk["kty"] == "RSA" else ("crv", "kty", "x", "y")
    canonical = json.dumps({name: jwk[name] for name in members}, separators=(",", ":"))
    return _b64(hashlib.sha256(canonical.encode()).digest())


def _family(algorithm: str) -> str:
    if algorithm not in ALGORITHMS:
        raise ConfigurationError(f"Unsupported JWT algorithm {algorithm!r}.")
    return algorithm[:2]


def _check_public_key(algorithm: str, key: Any) -> None:
    family = _family(algorithm)
    if family == "RS":
        if not isinstance(key, rsa.RSAPublicKey):
            raise ConfigurationError(f"{algorithm} needs an RSA key.")
        if key.key_size < MIN_RSA_BITS:
            raise ConfigurationError(f"RSA keys need at least {MIN_RSA_BITS} bits.")
    elif family == "ES":
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise ConfigurationError(f"{algorithm} needs an elliptic-curve key.")
        if key.curve.name != _CURVES[algorithm]:
            raise ConfigurationError(f"{algorithm} needs a {_CURVES[algorithm]} key.")


def _retire_at(value: object) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    raise ConfigurationError("retire_at must be epoch seconds or an ISO 8601 date-time.")


@dataclass(frozen=True)
class JWTKey:
    """One key: its ``kid``, its algorithm, what verifies and (when active) what signs."""

    kid: str
    algorithm: str
    verifying_key: Any
    signing_key: Any = None
    retire_at: float | None = None

    def __post_init__(self) -> None:
        if not valid_kid(self.kid):
            raise ConfigurationError("A kid may hold only letters, digits, '_', '-' and '.'.")
        if _family(self.algorithm) != "HS":
            _check_public_key(self.algorithm, self.verifying_key)

    def __repr__(self) -> str:
        # Never show key material, not even a public key: repr() ends up in logs.
        return (
            f"JWTKey(kid={self.kid!r}, algorithm={self.algorithm!r}, retire_at={self.retire_at!r})"
        )

    @property
    def symmetric(self) -> bool:
        return self.algorithm.startswith("HS")

    @classmethod
    def from_pem(
        cls,
        *,
        algorithm: str = "RS256",
        private_key: str | bytes | None = None,
        public_key: str | bytes | None = None,
        kid: str | None = None,
        retire_at: object = None,
    ) -> JWTKey:
        """Load an RS*/ES* key from PEM text; the public key is derived from the private one."""
        if _family(algorithm) == "HS":
            raise ConfigurationError(f"{algorithm} uses a secret, not a PEM key.")
        signing: Any = None
        try:
            if private_key:
                data = private_key.encode() if isinstance(private_key, str) else private_key
                signing = serialization.load_pem_private_key(data, password=None)
                # Re-loaded from DER: a public key object derived from the private key
                # verified measurably slower in benchmarks than a freshly loaded one.
                verifying: Any = serialization.load_der_public_key(
                    signing.public_key().public_bytes(
                        serialization.Encoding.DER,
                        serialization.PublicFormat.SubjectPublicKeyInfo,
                    )
                )
            elif public_key:
                data = public_key.encode() if isinstance(public_key, str) else public_key
                verifying = serialization.load_pem_public_key(data)
            else:
                raise ConfigurationError(f"{algorithm} needs a private or a public key.")
        except (ValueError, TypeError) as error:
            # cryptography's message may quote key bytes; only its type is kept.
            raise ConfigurationError(
                f"The {algorithm} key is not a valid PEM key ({type(error).__name__})."
            ) from None
        _check_public_key(algorithm, verifying)
        if private_key and public_key:
            given = serialization.load_pem_public_key(
                public_key.encode() if isinstance(public_key, str) else public_key
            )
            if given.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            ) != verifying.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            ):
                raise ConfigurationError("The public key does not belong to the private key.")
        jwk = _public_jwk(algorithm, verifying)
        return cls(kid or _thumbprint(jwk), algorithm, verifying, signing, _retire_at(retire_at))

    @classmethod
    def from_secret(
        cls,
        secret: str | bytes,
        *,
        algorithm: str = "HS256",
        kid: str | None = None,
        retire_at: object = None,
    ) -> JWTKey:
        """An HMAC key; the default ``kid`` is a salted hash, never the secret itself."""
        if _family(algorithm) != "HS":
            raise ConfigurationError(f"{algorithm} needs a PEM key, not a secret.")
        data = secret.encode() if isinstance(secret, str) else secret
        if not data:
            raise ConfigurationError(f"{algorithm} needs a non-empty secret.")
        default_kid = "hs-" + hashlib.sha256(b"netrun.auth kid\x00" + data).hexdigest()[:16]
        return cls(kid or default_kid, algorithm, data, data, _retire_at(retire_at))

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any], *, algorithm: str) -> JWTKey:
        """A public key from a JWKS entry; ``algorithm`` comes from configuration."""
        loader = RSAAlgorithm if _family(algorithm) == "RS" else ECAlgorithm
        try:
            key = loader.from_jwk(dict(jwk))
        except Exception as error:
            raise ConfigurationError(f"Unusable JWK ({type(error).__name__}).") from None
        if isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
            # A JWKS must publish public keys only; take the public half, never sign with it.
            key = key.public_key()
        kid = jwk.get("kid")
        return cls(str(kid) if kid is not None else "", algorithm, key)

    def public_jwk(self) -> dict[str, Any] | None:
        """This key as a public JWK (RFC 7517), or ``None`` for an HMAC secret."""
        if self.symmetric:
            return None
        jwk = _public_jwk(self.algorithm, self.verifying_key)
        jwk.update({"kid": self.kid, "alg": self.algorithm, "use": "sig"})
        return jwk

    def verifies_at(self, now: float) -> bool:
        return self.retire_at is None or now < self.retire_at


def _public_jwk(algorithm: str, key: Any) -> dict[str, Any]:
    if _family(algorithm) == "RS":
        return dict(RSAAlgorithm.to_jwk(key, as_dict=True))
    return dict(ECAlgorithm.to_jwk(key, as_dict=True))


class KeyRing:
    """Keys by ``kid``: one active for signing, the others verifying until they retire.

    Immutable: :meth:`add`, :meth:`activate`, :meth:`rotate` and :meth:`retire` return a new
    ring, which a :class:`~netrun.auth.JWTManager` swaps in with one assignment, so a request
    never sees half a rotation.
    """

    __slots__ = ("_active", "_clock", "_keys")

    def __init__(
        self, keys: Iterable[JWTKey], active_kid: str | None = None, *, clock: Clock = time.time
    ) -> None:
        self._keys: dict[str, JWTKey] = {}
        for key in keys:
            if key.kid in self._keys:
                raise ConfigurationError(f"Two keys share the kid {key.kid!r}.")
            self._keys[key.kid] = key
        if not self._keys:
            raise ConfigurationError("A key ring needs at least one key.")
        self._active = active_kid if active_kid is not None else next(iter(self._keys))
        if self._active not in self._keys:
            raise ConfigurationError(f"The active kid {self._active!r} is not in the ring.")
        self._clock = clock

    def __repr__(self) -> str:
        return f"KeyRing(active={self._active!r}, kids={list(self._keys)!r})"

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def active(self) -> JWTKey:
        """The key new tokens are signed with."""
        return self._keys[self._active]

    @property
    def keys(self) -> tuple[JWTKey, ...]:
        return tuple(self._keys.values())

    def get(self, kid: str) -> JWTKey | None:
        """The key named ``kid`` while it still verifies; ``None`` if unknown or retired."""
        key = self._keys.get(kid)
        if key is None or not key.verifies_at(self._clock()):
            return None
        return key

    def add(self, key: JWTKey, *, activate: bool = False) -> KeyRing:
        return KeyRing(
            [*self._keys.values(), key], key.kid if activate else self._active, clock=self._clock
        )

    def activate(self, kid: str) -> KeyRing:
        return KeyRing(self._keys.values(), kid, clock=self._clock)

    def retire(self, kid: str, *, at: float | None = None) -> KeyRing:
        """Stop verifying with ``kid`` at ``at`` (default: now). The active key cannot retire."""
        if kid == self._active:
            raise ConfigurationError("Activate another key before retiring the active one.")
        when = self._clock() if at is None else at
        keys = [replace(key, retire_at=when) if key.kid == kid else key for key in self.keys]
        return KeyRing(keys, self._active, clock=self._clock)

    def rotate(self, new_key: JWTKey, *, grace_seconds: float) -> KeyRing:
        """Sign with ``new_key`` from now; the previous key verifies for ``grace_seconds``."""
        if new_key.signing_key is None:
            raise ConfigurationError("The new active key needs its private key or secret.")
        previous = self._active
        ring = self.add(new_key, activate=True)
        return ring.retire(previous, at=self._clock() + grace_seconds)

    def prune(self) -> KeyRing:
        """Drop keys that have retired."""
        now = self._clock()
        live = [key for key in self.keys if key.kid == self._active or key.verifies_at(now)]
        return KeyRing(live, self._active, clock=self._clock)

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The public JWKS document: asymmetric keys that still verify, the active one first."""
        now = self._clock()
        ordered = [self.active, *(key for key in self.keys if key.kid != self._active)]
        entries = [
            jwk for key in ordered if key.verifies_at(now) and (jwk := key.public_jwk()) is not None
        ]
        return {"keys": entries}


def _read(path: Path | None, setting: str) -> str | None:
    if path is None:
        return None
    try:
        return Path(path).read_text()
    except OSError as error:
        raise ConfigurationError(
            f"{setting}: cannot read the key file ({type(error).__name__})."
        ) from None


def key_ring_from_config(config: AuthConfig, *, clock: Clock = time.time) -> KeyRing:
    """The ring an :class:`AuthConfig` describes: the active key, then ``jwt_previous_keys``."""
    algorithm = config.jwt_algorithm
    if config.symmetric:
        secret = config.jwt_secret.get_secret_value() if config.jwt_secret else ""
        if not secret:
            raise ConfigurationError(f"AUTH_JWT_SECRET is required for {algorithm}.")
        active = JWTKey.from_secret(secret, algorithm=algorithm, kid=config.jwt_kid)
    else:
        private = (
            config.jwt_private_key.get_secret_value() if config.jwt_private_key else None
        ) or _read(config.jwt_private_key_path, "AUTH_JWT_PRIVATE_KEY_PATH")
        public = config.jwt_public_key or _read(
            config.jwt_public_key_path, "AUTH_JWT_PUBLIC_KEY_PATH"
        )
        if not private and not public:
            raise ConfigurationError(
                f"{algorithm} needs AUTH_JWT_PRIVATE_KEY (to sign) or AUTH_JWT_PUBLIC_KEY "
                "(to verify only)."
            )
        active = JWTKey.from_pem(
            algorithm=algorithm, private_key=private, public_key=public, kid=config.jwt_kid
        )
    keys = [active]
    for index, entry in enumerate(config.jwt_previous_keys):
        keys.append(_previous_key(entry, index, algorithm))
    return KeyRing(keys, active.kid, clock=clock)


def _previous_key(entry: Mapping[str, Any], index: int, default_algorithm: str) -> JWTKey:
    if not isinstance(entry, Mapping):
        raise ConfigurationError(f"AUTH_JWT_PREVIOUS_KEYS[{index}] must be an object.")
    algorithm = str(entry.get("algorithm", default_algorithm)).upper()
    kid = entry.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise ConfigurationError(f"AUTH_JWT_PREVIOUS_KEYS[{index}].kid must be a string.")
    retire_at = entry.get("retire_at")
    if algorithm.startswith("HS"):
        secret = entry.get("secret")
        if not isinstance(secret, str) or not secret:
            raise ConfigurationError(f"AUTH_JWT_PREVIOUS_KEYS[{index}] needs a secret.")
        return JWTKey.from_secret(secret, algorithm=algorithm, kid=kid, retire_at=retire_at)
    public = entry.get("public_key")
    if not isinstance(public, str) or not public:
        raise ConfigurationError(f"AUTH_JWT_PREVIOUS_KEYS[{index}] needs a public_key.")
    # Previous keys only verify: a private key given here is ignored on purpose.
    return JWTKey.from_pem(algorithm=algorithm, public_key=public, kid=kid, retire_at=retire_at)


def hmac_min_bytes(algorithm: str) -> int:
    """The shortest HMAC secret netrun accepts: the hash size (RFC 7518 section 3.2)."""
    return _HMAC_MIN_BYTES.get(algorithm, 32)
