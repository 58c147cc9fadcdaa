"""Typed wrappers around the Authlib protocol helpers Netrun uses.

Authlib ships no type information, so its untyped calls are confined to this module; the
rest of netrun.oauth sees precise signatures. Only framework-neutral parts of Authlib are
used (RFC 6749 request building, RFC 7636 PKCE, client authentication, token expiry): its
HTTP integrations are bound to a specific HTTP client package, and its ``authlib.jose`` is
deprecated in favour of joserfc, which :mod:`netrun.oauth._idtoken` uses directly.

Framework-neutral: no Django import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from authlib.common.security import (  # type: ignore[import-untyped, unused-ignore]
    generate_token as _generate_token,
)
from authlib.oauth2.auth import ClientAuth  # type: ignore[import-untyped, unused-ignore]
from authlib.oauth2.rfc6749 import OAuth2Token  # type: ignore[import-untyped, unused-ignore]
from authlib.oauth2.rfc6749.parameters import (  # type: ignore[import-untyped, unused-ignore]
    prepare_grant_uri,
    prepare_token_request,
)
from authlib.oauth2.rfc7636 import (  # type: ignore[import-untyped, unused-ignore]
    create_s256_code_challenge,
)

__all__ = [
    "authorization_url",
    "client_auth",
    "random_token",
    "s256_code_challenge",
    "token_expires_at",
    "token_request_body",
]


def random_token(length: int = 48) -> str:
    """A random URL-safe string from the system CSPRNG (state, nonce, PKCE verifier)."""
    return cast(str, _generate_token(length))


def s256_code_challenge(code_verifier: str) -> str:
    return cast(str, create_s256_code_challenge(code_verifier))


def authorization_url(
    endpoint: str,
    *,
    client_id: str,
    redirect_uri: str,
    scopes: Sequence[str],
    state: str,
    params: Mapping[str, str],
) -> str:
    return cast(
        str,
        prepare_grant_uri(
            endpoint,
            client_id=client_id,
            response_type="code",
            redirect_uri=redirect_uri,
            scope=list(scopes),
            state=state,
            **params,
        ),
    )


def token_request_body(grant_type: str, **params: str | None) -> str:
    return cast(str, prepare_token_request(grant_type, **params))


def client_auth(
    client_id: str, client_secret: str | None, method: str, body: str
) -> tuple[dict[str, str], str]:
    """Headers and body of a token request authenticated by ``method`` (RFC 6749, 2.3.1)."""
    headers: dict[str, str] = {}
    _, headers, body = ClientAuth(client_id, client_secret, method).prepare(
        "POST", "", headers, body
    )
    return headers, body


def token_expires_at(response: Mapping[str, Any]) -> int | None:
    """Absolute expiry (epoch seconds) of a token response, from expires_at or expires_in."""
    expires_at = OAuth2Token(dict(response)).get("expires_at")
    return expires_at if isinstance(expires_at, int) else None
