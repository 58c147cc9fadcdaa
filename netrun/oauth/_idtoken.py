"""ID token verification (OpenID Connect Core 1.0, section 3.1.3.7).

Signatures are checked with joserfc (the JOSE library Authlib delegates to since
``authlib.jose`` was deprecated): the algorithm must be in the provider's allowed list
(never ``none``, never HMAC), the key comes from the provider's JWKS by ``kid``. Then the
claims: ``iss``, ``aud`` (and ``azp`` when there are several audiences), ``exp``, ``iat``,
``nbf``, ``nonce`` and ``sub``.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
from collections.abc import Callable, Collection
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError

from netrun.errors import TokenExpiredError, TokenInvalidError
from netrun.logging import get_logger
from netrun.oauth._discovery import JWKSCache

__all__ = ["IDTokenVerifier", "unverified_header"]

logger = get_logger(__name__)

_ENTRA_TENANT_PLACEHOLDER = "{tenantid}"


def _invalid(provider: str, reason: str) -> TokenInvalidError:
    # The reason goes to the client and the log; the token itself goes nowhere.
    logger.warning("oauth_id_token_rejected", provider=provider, reason=reason, result="refused")
    return TokenInvalidError("The identity provider's ID token is invalid.", reason=reason)


def unverified_header(token: str) -> dict[str, Any] | None:
    """The JOSE header of a compact JWS, or ``None`` when it is not one. NOT verified."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    segment = parts[0]
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        header = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        # RecursionError: a header of deeply nested JSON is hostile input, not a crash.
        return None
    return header if isinstance(header, dict) else None


class IDTokenVerifier:
    """Verify one provider's ID tokens against its JWKS and expected claims."""

    def __init__(
        self,
        *,
        provider: str,
        client_id: str,
        issuer: str | None,
        jwks: JWKSCache,
        algorithms: Collection[str],
        leeway: int = 60,
        allowed_tenants: Collection[str] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.provider = provider
        self.client_id = client_id
        self.issuer = issuer
        self.jwks = jwks
        self.algorithms = tuple(alg for alg in algorithms if alg.lower() != "none")
        self.leeway = leeway
        self.allowed_tenants = frozenset(allowed_tenants)
        self._clock = clock

    def verify(self, token: str, *, nonce: str | None) -> dict[str, Any]:
        """Return the verified claims; raise ``TokenInvalidError`` / ``TokenExpiredError``."""
        header = unverified_header(token)
        if header is None:
            raise _invalid(self.provider, "malformed")
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise _invalid(self.provider, "algorithm_not_allowed")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise _invalid(self.provider, "malformed")
        key = self.jwks.get(kid)
        if key is None:
            raise _invalid(self.provider, "unknown_kid")
        try:
            # Only the header's alg, already checked against the allowed list, is accepted.
            decoded = jwt.decode(token, key, algorithms=[alg])
        except JoseError:
            raise _invalid(self.provider, "bad_signature") from None
        claims = dict(decoded.claims)
        self._check_claims(claims, nonce)
        return claims

    def _expected_issuer(self, claims: dict[str, Any]) -> str | None:
        issuer = self.issuer
        if issuer and _ENTRA_TENANT_PLACEHOLDER in issuer:
            # Entra ID's multi-tenant ("common") metadata names the issuer as a template; the
            # real issuer carries the tenant the user signed in to.
            tid = claims.get("tid")
            if not isinstance(tid, str) or not tid:
                raise _invalid(self.provider, "missing_tid")
            issuer = issuer.replace(_ENTRA_TENANT_PLACEHOLDER, tid)
        return issuer

    def _check_claims(self, claims: dict[str, Any], nonce: str | None) -> None:
        provider = self.provider
        expected_issuer = self._expected_issuer(claims)
        if expected_issuer is None or claims.get("iss") != expected_issuer:
            raise _invalid(provider, "wrong_issuer")
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience
        if not isinstance(audiences, list) or self.client_id not in audiences:
            raise _invalid(provider, "wrong_audience")
        if len(audiences) > 1 and claims.get("azp") != self.client_id:
            raise _invalid(provider, "wrong_authorized_party")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise _invalid(provider, "missing_subject")
        now = self._clock()
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or isinstance(exp, bool):
            raise _invalid(provider, "missing_exp")
        if now > exp + self.leeway:
            logger.warning("oauth_id_token_rejected", provider=provider, reason="expired")
            raise TokenExpiredError("The identity provider's ID token has expired.")
        iat = claims.get("iat")
        if not isinstance(iat, (int, float)) or iat > now + self.leeway:
            raise _invalid(provider, "bad_iat")
        nbf = claims.get("nbf")
        if nbf is not None and (not isinstance(nbf, (int, float)) or nbf > now + self.leeway):
            raise _invalid(provider, "not_yet_valid")
        if nonce is not None:
            received = claims.get("nonce")
            if not isinstance(received, str) or not hmac.compare_digest(
                received.encode(), nonce.encode()
            ):
                raise _invalid(provider, "nonce_mismatch")
        if self.allowed_tenants and claims.get("tid") not in self.allowed_tenants:
            raise _invalid(provider, "tenant_not_allowed")
