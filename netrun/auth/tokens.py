"""``JWTManager``: issue, verify, refresh (with rotation and reuse detection) and revoke JWTs.

::

    manager = JWTManager(AuthConfig(jwt_private_key=private_pem, jwt_public_key=public_pem))
    access = manager.create_access_token(user_id="42", roles=["agent"], tenant_id="acme")
    claims = manager.verify(access)          # raises TokenInvalidError / TokenExpiredError
    pair = manager.create_token_pair("42", tenant_id="acme")
    pair = manager.refresh(pair.refresh_token)   # the old refresh token is now spent
    manager.revoke(claims["jti"])

What verification checks, in order: the token is a compact JWS of sane size; its ``kid`` (when
present) is well-formed and names a key of the ring that has not retired; the header's ``alg``
is exactly that key's configured algorithm (so ``none`` and HS/RS confusion never reach a
signature check); the signature; ``exp``, ``nbf``, ``iat`` (with ``leeway``), ``iss``,
``aud`` and the required claims; the ``token_type``; and finally the denylist, for the
token's ``jti``, its refresh family ``fam`` and its user's revoke-all cutoff.

:meth:`JWTManager.revoke_user` refuses every token of one user issued up to now, on every
worker sharing the denylist: it stores the epoch second ``user:<sub>`` in the denylist, and a
token whose ``iat`` is not after it is refused. ``iat`` has one-second resolution, so the call
returns only once the next second has begun: a token issued after it returns (the login that
follows a password change) is accepted, and every token issued before it is refused.

Verified access tokens are remembered in a bounded LRU keyed by the SHA-256 of the token
(``verify_cache_size``, 0 turns it off). A hit skips the signature and claim checks only: the
token's ``exp``, its key still being in the ring, and the revocation lookup (``jti``, family,
user cutoff) are checked on every hit, so a revoked token is refused even while cached.

Refresh tokens belong to a *family* (``fam``): every token obtained by refreshing carries the
family of the one it replaced. A refresh token is spent on first use (an atomic ``claim`` in
the denylist). Presenting a spent one again means it was copied: the whole family is revoked,
so the thief's and the victim's tokens (access tokens included) stop working together.

When the denylist's store is down (Redis stopped), the manager fails closed by default:
verification, refresh and revocation raise :class:`~netrun.auth.AuthUnavailableError` (503
``AUTH_UNAVAILABLE`` with ``Retry-After``), never a 500. ``denylist_fail_open=True`` accepts
access tokens without the revocation check during the outage (a revoked token then works
until it expires); refresh and revoke always fail closed, since single use of a refresh
token and a revocation cannot be promised without the store.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import marshal
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
import jwt.exceptions

from netrun.auth._jws import ClaimRules, decode_segment, verify_claims, verify_signature
from netrun.auth.conf import AuthConfig
from netrun.auth.denylist import Denylist, MemoryDenylist
from netrun.auth.exceptions import AuthUnavailableError, TokenExpiredError, TokenRejectedError
from netrun.auth.keys import JWTKey, KeyRing, key_ring_from_config, valid_kid
from netrun.config import get_settings
from netrun.errors import ConfigurationError
from netrun.logging import get_logger

__all__ = [
    "ACCESS",
    "REFRESH",
    "RESERVED_CLAIMS",
    "JWTManager",
    "TokenPair",
    "build_denylist",
    "get_jwt_manager",
    "pyjwt_reason",
    "reset_jwt_manager",
    "revoke_user_tokens",
    "unverified_header",
]

logger = get_logger(__name__)

ACCESS = "access"
REFRESH = "refresh"
#: Claims the manager sets itself; ``**claims`` may not override them.
RESERVED_CLAIMS = frozenset(
    {"iss", "aud", "sub", "iat", "nbf", "exp", "jti", "token_type", "fam", "user_id"}
)
#: Longer than any sane token: refuse before base64-decoding attacker-sized input.
MAX_TOKEN_LENGTH = 16 * 1024

_PYJWT_REASONS: tuple[tuple[type[jwt.InvalidTokenError], str], ...] = (
    (jwt.InvalidAlgorithmError, "algorithm_not_allowed"),
    (jwt.InvalidSignatureError, "bad_signature"),
    (jwt.ImmatureSignatureError, "not_yet_valid"),
    (jwt.InvalidAudienceError, "wrong_audience"),
    (jwt.InvalidIssuerError, "wrong_issuer"),
    (jwt.MissingRequiredClaimError, "missing_claim"),
    (jwt.InvalidIssuedAtError, "invalid_claims"),
    (jwt.exceptions.InvalidSubjectError, "invalid_claims"),
    (jwt.exceptions.InvalidJTIError, "invalid_claims"),
    (jwt.DecodeError, "malformed"),
)


@dataclass(frozen=True)
class TokenPair:
    """An access token and the refresh token that renews it."""

    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret

    def as_dict(self) -> dict[str, Any]:
        """The OAuth 2.0 token response shape (RFC 6749 section 5.1)."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
        }


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header, decoded only to choose the key; PyJWT then checks the whole token.

    ``jwt.get_unverified_header`` would validate and decode all three segments, doubling the
    cost of every verification; the header alone is all routing needs.
    """
    head, dot, _ = token.partition(".")
    if not dot or not head or len(head) > 4096:
        raise TokenRejectedError("malformed")
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        # RecursionError: a header of 3 KB of "[" is hostile input, not a server error.
        raise TokenRejectedError("malformed") from None
    if not isinstance(header, dict):
        raise TokenRejectedError("malformed")
    return header


#: Parsed JOSE headers by their exact base64url text: every token of one key has the same
#: header, so decoding it again per token is wasted work. Bounded: cleared when full.
_headers: dict[str, dict[str, Any]] = {}
_MAX_HEADERS = 64


def _routing_header(head: str) -> dict[str, Any]:
    """The JOSE header of the segment ``head``, strictly decoded and remembered.

    The result is shared, so read it only. Holds only headers netrun can verify: ``crit``
    and ``b64`` (RFC 7797) are refused, as forms netrun never issues.
    """
    header = _headers.get(head)
    if header is None:
        if len(head) > 4096:
            raise TokenRejectedError("malformed")
        try:
            header = json.loads(decode_segment(head))
        except (ValueError, RecursionError):
            # RecursionError: a header of 3 KB of "[" is hostile input, not a server error.
            raise TokenRejectedError("malformed") from None
        if not isinstance(header, dict):
            raise TokenRejectedError("malformed")
        if "crit" in header or "b64" in header:
            raise TokenRejectedError("invalid")
        if len(_headers) >= _MAX_HEADERS:
            _headers.clear()
        _headers[head] = header
    return header


def pyjwt_reason(error: jwt.InvalidTokenError) -> str:
    for cls, reason in _PYJWT_REASONS:
        if isinstance(error, cls):
            return reason
    return "invalid"


class JWTManager:
    """Issue and verify JWTs with a key ring and a denylist; configured by its arguments only.

    ``config`` defaults to ``AuthConfig()`` read from the environment. ``key_ring`` defaults
    to the keys the config names; ``denylist`` to an in-memory one (pass a shared one, such as
    ``netrun.auth.cache.CacheDenylist`` or :class:`~netrun.auth.RedisDenylist`, when several
    processes serve requests; :func:`get_jwt_manager` does that from settings). ``clock``
    returns epoch seconds and only sets the times of *new* tokens (and revoke-all cutoffs).
    ``verify_cache_size`` (default ``config.verify_cache_size``) bounds the cache of verified
    access tokens; 0 turns it off.
    """

    def __init__(
        self,
        config: AuthConfig | None = None,
        *,
        key_ring: KeyRing | None = None,
        denylist: Denylist | None = None,
        clock: Callable[[], float] = time.time,
        verify_cache_size: int | None = None,
    ) -> None:
        self.config = config if config is not None else AuthConfig()
        if self.config.access_token_lifetime <= 0 or self.config.refresh_token_lifetime <= 0:
            raise ConfigurationError("Token lifetimes must be positive (netrun.auth.E003).")
        self.key_ring = key_ring if key_ring is not None else key_ring_from_config(self.config)
        self.denylist = denylist if denylist is not None else MemoryDenylist()
        self._clock = clock
        size = self.config.verify_cache_size if verify_cache_size is None else verify_cache_size
        self._cache_size = max(size, 0)
        #: sha256(token) -> (exp, key that verified it, the claims, marshalled).
        self._verified: OrderedDict[bytes, tuple[float, JWTKey, bytes]] = OrderedDict()
        self._verified_lock = threading.Lock()
        required = set(self.config.required_claims) | {"exp", "iat", "jti", "token_type"}
        if self.config.jwt_issuer:
            required.add("iss")
        if self.config.jwt_audience:
            required.add("aud")
        self._rules = ClaimRules(
            required=tuple(sorted(required)),
            audience=self.config.jwt_audience,
            issuer=self.config.jwt_issuer,
            leeway=self.config.leeway,
        )

    def __repr__(self) -> str:
        return f"JWTManager(algorithm={self.config.jwt_algorithm!r}, key_ring={self.key_ring!r})"

    # ------------------------------------------------------------------------- issuing

    def _encode(self, claims: dict[str, Any]) -> str:
        key = self.key_ring.active
        if key.signing_key is None:
            raise ConfigurationError(
                "This manager can only verify: the active key has no private key or secret."
            )
        return jwt.encode(
            claims, key.signing_key, algorithm=key.algorithm, headers={"kid": key.kid}
        )

    def _claims(
        self, token_type: str, user_id: object, lifetime: int, extra: Mapping[str, Any]
    ) -> dict[str, Any]:
        reserved = RESERVED_CLAIMS.intersection(extra)
        if reserved:
            raise ValueError(f"claims {sorted(reserved)} are set by JWTManager itself")
        if user_id is None or str(user_id) == "":
            raise ValueError("user_id is required")
        now = int(self._clock())
        claims: dict[str, Any] = {
            "sub": str(user_id),
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "jti": uuid.uuid4().hex,
            "token_type": token_type,
        }
        if self.config.jwt_issuer:
            claims["iss"] = self.config.jwt_issuer
        if self.config.jwt_audience:
            claims["aud"] = self.config.jwt_audience
        claims.update({name: value for name, value in extra.items() if value is not None})
        return claims

    def create_access_token(
        self,
        user_id: object,
        roles: Iterable[str] | None = None,
        tenant_id: object = None,
        permissions: Iterable[str] | None = None,
        **claims: Any,
    ) -> str:
        """A signed access token for ``user_id`` (the ``sub`` claim) with extra claims."""
        extra: dict[str, Any] = dict(claims)
        extra["roles"] = list(roles) if roles is not None else []
        if permissions is not None:
            extra["permissions"] = list(permissions)
        if tenant_id is not None:
            extra["tenant_id"] = str(tenant_id)
        return self._encode(self._claims(ACCESS, user_id, self.config.access_token_lifetime, extra))

    def create_refresh_token(
        self, user_id: object, tenant_id: object = None, *, family: str | None = None, **claims: Any
    ) -> str:
        """A signed refresh token; ``family`` groups the tokens of one login (new if omitted)."""
        extra: dict[str, Any] = dict(claims)
        if tenant_id is not None:
            extra["tenant_id"] = str(tenant_id)
        token = self._claims(REFRESH, user_id, self.config.refresh_token_lifetime, extra)
        token["fam"] = family or uuid.uuid4().hex
        return self._encode(token)

    def create_token_pair(
        self,
        user_id: object,
        roles: Iterable[str] | None = None,
        tenant_id: object = None,
        permissions: Iterable[str] | None = None,
        *,
        family: str | None = None,
        **claims: Any,
    ) -> TokenPair:
        """An access and a refresh token of the same family (the access token carries ``fam``)."""
        family = family or uuid.uuid4().hex
        refresh_claims = dict(claims)
        # The refresh token remembers what to put in the next access tokens.
        if roles is not None:
            refresh_claims["roles"] = list(roles)
        if permissions is not None:
            refresh_claims["permissions"] = list(permissions)
        access = self._encode(
            {
                **self._claims(
                    ACCESS,
                    user_id,
                    self.config.access_token_lifetime,
                    {
                        **claims,
                        "roles": list(roles) if roles is not None else [],
                        "permissions": list(permissions) if permissions is not None else None,
                        "tenant_id": str(tenant_id) if tenant_id is not None else None,
                    },
                ),
                "fam": family,
            }
        )
        refresh = self.create_refresh_token(user_id, tenant_id, family=family, **refresh_claims)
        return TokenPair(access, refresh, self.config.access_token_lifetime)

    # ------------------------------------------------------------------------- verifying

    def decode(
        self,
        token: str | bytes,
        *,
        token_type: str | None = ACCESS,
        check_revoked: bool = True,
    ) -> dict[str, Any]:
        """Verify ``token`` and return its claims; ``token_type=None`` accepts any type.

        Raises :class:`~netrun.errors.TokenExpiredError` or
        :class:`~netrun.auth.TokenRejectedError` (a ``TokenInvalidError``) with the reason.
        """
        if isinstance(token, bytes):
            try:
                token = token.decode("ascii")
            except UnicodeDecodeError:
                raise TokenRejectedError("malformed") from None
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            raise TokenRejectedError("malformed")
        cacheable = self._cache_size > 0 and token_type == ACCESS and check_revoked
        digest = b""
        if cacheable:
            digest = hashlib.sha256(token.encode()).digest()
            cached = self._cached_claims(digest)
            if cached is not None:
                if self.is_revoked(cached):
                    raise TokenRejectedError("revoked")
                return cached
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenRejectedError("malformed")
        head, body, crypto = parts
        header = _routing_header(head)
        kid = header.get("kid")
        if kid is None:
            if self.config.require_kid:
                raise TokenRejectedError("missing_kid")
            key = self.key_ring.active
        else:
            if not valid_kid(kid):
                raise TokenRejectedError("malformed_kid")
            found = self.key_ring.get(kid)
            if found is None:
                raise TokenRejectedError("unknown_kid")
            key = found
        # The key's own algorithm, never the header's choice: "alg=none" and HS/RS confusion
        # never reach a signature check.
        if header.get("alg") != key.algorithm:
            raise TokenRejectedError("algorithm_not_allowed")
        # jwt.decode's checks, made by netrun.auth._jws at a third of the cost.
        signature = decode_segment(crypto)
        payload = decode_segment(body)
        verify_signature(f"{head}.{body}", signature, key.algorithm, key.verifying_key)
        claims = verify_claims(payload, self._rules)
        if token_type is not None and claims.get("token_type") != token_type:
            raise TokenRejectedError("wrong_token_type")
        if check_revoked and self.is_revoked(claims):
            raise TokenRejectedError("revoked")
        if cacheable:
            self._remember(digest, claims, key)
        return claims

    def _cached_claims(self, digest: bytes) -> dict[str, Any] | None:
        """The claims of a token verified before, if it has not expired and its key still verifies."""
        with self._verified_lock:
            entry = self._verified.get(digest)
            if entry is None:
                return None
            expires, key, payload = entry
            # PyJWT's rule: expired when exp <= now - leeway. A retired or swapped-out key
            # (rotate_keys) no longer vouches for the token: verify it again.
            current = self.key_ring.get(key.kid) if key.kid else self.key_ring.active
            if expires <= time.time() - self.config.leeway or current is not key:
                del self._verified[digest]
                return None
            self._verified.move_to_end(digest)
        # A new dict each time, so a caller that edits its claims cannot edit the cache.
        # marshal: JSON-decoded claims are dicts, lists, strings, numbers, booleans and None,
        # which it copies in C, several times faster than json or copy.deepcopy (in-process
        # only, so its format being tied to the Python version does not matter).
        result: dict[str, Any] = marshal.loads(payload)  # noqa: S302 - bytes this process wrote
        return result

    def _remember(self, digest: bytes, claims: Mapping[str, Any], key: JWTKey) -> None:
        expires = claims.get("exp")
        if not isinstance(expires, (int, float)):
            return
        try:
            entry = (float(expires), key, marshal.dumps(dict(claims)))
        except ValueError:  # not JSON-shaped (a custom decoder): simply not cached
            return
        with self._verified_lock:
            self._verified[digest] = entry
            self._verified.move_to_end(digest)
            while len(self._verified) > self._cache_size:
                self._verified.popitem(last=False)

    def verify(self, token: str | bytes) -> dict[str, Any]:
        """Verify an access token and return its claims (:meth:`decode` for access tokens)."""
        return self.decode(token, token_type=ACCESS)

    def is_revoked(self, claims: Mapping[str, Any]) -> bool:
        """True when the token's ``jti`` or family is denied, or its user revoked since ``iat``."""
        keys = [f"jti:{claims.get('jti')}"]
        family = claims.get("fam")
        if family:
            keys.append(f"fam:{family}")
        user_key = f"user:{claims['sub']}" if claims.get("sub") is not None else None
        if user_key is not None:
            keys.append(user_key)
        try:
            found = self.denylist.fetch(keys)
        except AuthUnavailableError as error:
            store_error = error.details.get("store_error")
            if not self.config.denylist_fail_open:
                logger.error("auth_denylist_unavailable", result="refused", error=store_error)
                raise
            logger.warning("auth_denylist_unavailable", result="accepted", error=store_error)
            return False
        if not found:
            return False
        cutoff = found.pop(user_key, None) if user_key is not None else None
        if found:
            return True
        issued = claims.get("iat")
        # Not after the cutoff: issued in or before the second of revoke_user (or no iat).
        return cutoff is not None and (not isinstance(issued, (int, float)) or issued <= cutoff)

    # ------------------------------------------------------------------------- refresh / revoke

    def refresh(self, refresh_token: str | bytes) -> TokenPair:
        """Spend ``refresh_token`` and return a new pair of the same family.

        A refresh token presented a second time revokes its whole family and is refused.
        Without the denylist's store it raises :class:`~netrun.auth.AuthUnavailableError`:
        single use cannot be promised, so nothing is issued.
        """
        claims = self.decode(refresh_token, token_type=REFRESH)
        jti, family = str(claims["jti"]), str(claims.get("fam") or claims["jti"])
        ttl = self._ttl(claims)
        if not self.denylist.claim(f"used:{jti}", ttl):
            self.revoke_family(family)
            logger.warning(
                "refresh_token_reuse_detected",
                user_id=claims.get("sub"),
                tenant_id=claims.get("tenant_id"),
                jti=jti,
                family=family,
            )
            raise TokenRejectedError("refresh_reuse")
        extra = {
            name: value
            for name, value in claims.items()
            if name not in RESERVED_CLAIMS and name not in {"roles", "permissions", "tenant_id"}
        }
        return self.create_token_pair(
            claims["sub"],
            roles=claims.get("roles"),
            tenant_id=claims.get("tenant_id"),
            permissions=claims.get("permissions"),
            family=family,
            **extra,
        )

    def _ttl(self, claims: Mapping[str, Any] | None) -> int:
        longest = max(self.config.access_token_lifetime, self.config.refresh_token_lifetime)
        if claims is not None and isinstance(claims.get("exp"), int):
            remaining = int(claims["exp"]) - int(time.time())
            return max(remaining, 0) + self.config.leeway + 1
        return longest + self.config.leeway

    def revoke(self, jti: str, *, expires_at: int | None = None) -> None:
        """Refuse the token with this ``jti`` from now on, on every worker sharing the denylist."""
        if not jti:
            raise ValueError("jti is required")
        claims = {"exp": expires_at} if expires_at is not None else None
        self.denylist.deny(f"jti:{jti}", self._ttl(claims))
        logger.info("token_revoked", jti=jti)

    def revoke_token(self, token: str | bytes) -> None:
        """Revoke a token by value (its signature is checked; an expired one needs nothing)."""
        try:
            claims = self.decode(token, token_type=None, check_revoked=False)
        except TokenExpiredError:
            return
        self.revoke(str(claims["jti"]), expires_at=claims.get("exp"))
        if claims.get("token_type") == REFRESH and claims.get("fam"):
            self.revoke_family(str(claims["fam"]))

    def revoke_family(self, family: str) -> None:
        """Revoke every token of one login (refresh family), e.g. on logout or reuse."""
        self.denylist.deny(f"fam:{family}", self._ttl(None))
        logger.info("token_family_revoked", family=family)

    def revoke_user(self, user_id: object) -> None:
        """Refuse every token of ``user_id`` (the ``sub``) issued until now, on every worker.

        Returns once the next second has begun (see the module docstring), so tokens issued
        afterwards are accepted. Without the denylist's store it raises
        :class:`~netrun.auth.AuthUnavailableError`: nothing is revoked.
        """
        revoke_user_tokens(self.denylist, self.config, user_id, clock=self._clock)

    # ------------------------------------------------------------------------- keys

    def rotate_keys(self, key_ring: KeyRing) -> None:
        """Swap in a new key ring (one assignment: requests see the old or the new one)."""
        self.key_ring = key_ring
        with self._verified_lock:
            self._verified.clear()

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The public JWKS document of the ring (empty for HMAC keys)."""
        return self.key_ring.jwks()


def revoke_user_tokens(
    denylist: Denylist,
    config: AuthConfig,
    user_id: object,
    *,
    clock: Callable[[], float] = time.time,
) -> None:
    """:meth:`JWTManager.revoke_user` without a manager (no keys needed: only the denylist)."""
    if user_id is None or str(user_id) == "":
        raise ValueError("user_id is required")
    now = clock()
    cutoff = int(now)
    longest = max(config.access_token_lifetime, config.refresh_token_lifetime)
    denylist.store(f"user:{user_id}", cutoff, longest + config.leeway + 1)
    logger.info("user_tokens_revoked", user_id=str(user_id), not_after=cutoff)
    if clock is time.time:
        # Tokens issued in the cutoff's second are refused too; wait it out so the next
        # token this caller (or anyone) issues is not.
        time.sleep(max(cutoff + 1 - time.time(), 0))


# ----------------------------------------------------------------------------- shared manager

_manager: JWTManager | None = None
_manager_lock = threading.Lock()

_DENYLISTS = {
    "memory": "netrun.auth.denylist.MemoryDenylist",
    "cache": "netrun.auth.cache.CacheDenylist",
}


def _import(path: str) -> Any:
    import importlib

    module, _, name = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as error:
        raise ConfigurationError(
            f"NETRUN_AUTH_DENYLIST / AUTH_DENYLIST: cannot import {path!r} "
            f"({type(error).__name__})."
        ) from None


def build_denylist(config: AuthConfig) -> Denylist:
    """The denylist ``config.denylist`` names.

    ``auto`` is the Django cache when Django settings are configured (shared by every worker
    that shares the cache), else memory.
    """
    choice = config.denylist
    if choice == "auto":
        from netrun.core.conf import django_settings_configured

        choice = "cache" if django_settings_configured() else "memory"
    if choice == "redis":
        if not config.denylist_redis_url:
            raise ConfigurationError("AUTH_DENYLIST_REDIS_URL is required for the redis denylist.")
        from netrun.auth.denylist import RedisDenylist

        return RedisDenylist(url=config.denylist_redis_url, prefix=config.denylist_key_prefix)
    factory = _import(_DENYLISTS.get(choice, choice))
    if choice == "cache":
        return factory(alias=config.denylist_cache_alias, prefix=config.denylist_key_prefix)  # type: ignore[no-any-return]
    denylist = factory()
    if not isinstance(denylist, Denylist):
        raise ConfigurationError(f"AUTH_DENYLIST: {choice!r} did not build a Denylist.")
    return denylist


def get_jwt_manager() -> JWTManager:
    """The process-wide manager built from settings (``netrun.auth.conf``), built once.

    It is rebuilt when the settings object changes (``override_settings``,
    ``reload_settings()``): the identity check below costs one dictionary lookup.
    """
    global _manager
    config = get_settings(AuthConfig)
    manager = _manager
    if manager is not None and manager.config is config:
        return manager
    with _manager_lock:
        if _manager is None or _manager.config is not config:
            _manager = JWTManager(config, denylist=build_denylist(config))
        return _manager


def reset_jwt_manager() -> None:
    """Forget the shared manager; the next :func:`get_jwt_manager` builds it again."""
    global _manager
    with _manager_lock:
        _manager = None
