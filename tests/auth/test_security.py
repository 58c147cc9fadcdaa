"""The security tests of issue 5: every forged, stale or misused token is refused."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, hmac

from netrun.auth import (
    AuthConfig,
    JWTManager,
    TenantAccessDeniedError,
    TokenExpiredError,
    TokenRejectedError,
    check_tenant_access,
)
from tests.auth.conftest import AUDIENCE, ISSUER, KeyPair


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _claims(**extra: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": "1", "iat": now, "nbf": now, "exp": now + 300, "jti": "x" * 32,
        "token_type": "access", "iss": ISSUER, "aud": AUDIENCE,
    }  # fmt: skip
    claims.update(extra)
    return claims


def _forge(header: dict[str, object], claims: dict[str, object], signature: bytes = b"") -> str:
    head = _b64(json.dumps(header).encode())
    body = _b64(json.dumps(claims).encode())
    return f"{head}.{body}.{_b64(signature)}"


def _reason(manager: JWTManager, token: str) -> str:
    with pytest.raises(TokenRejectedError) as caught:
        manager.verify(token)
    # The client never learns the reason: one generic message, one code.
    assert caught.value.error_code == "TOKEN_INVALID"
    assert caught.value.status_code == 401
    assert caught.value.message == "The token is invalid."
    return caught.value.reason


def test_expired(config: AuthConfig) -> None:
    issued = JWTManager(config, clock=lambda: time.time() - 3600).create_access_token("1")
    with pytest.raises(TokenExpiredError) as caught:
        JWTManager(config).verify(issued)
    assert caught.value.status_code == 401
    assert caught.value.error_code == "TOKEN_EXPIRED"


def test_expired_within_leeway_is_accepted(config: AuthConfig) -> None:
    lenient = config.model_copy(update={"leeway": 60})
    issued = JWTManager(config, clock=lambda: time.time() - 900 - 30).create_access_token("1")
    assert JWTManager(lenient).verify(issued)["sub"] == "1"


def test_not_yet_valid(config: AuthConfig) -> None:
    future = JWTManager(config, clock=lambda: time.time() + 3600).create_access_token("1")
    assert _reason(JWTManager(config), future) == "not_yet_valid"


def test_wrong_issuer(manager: JWTManager, rsa_keys: KeyPair) -> None:
    token = jwt.encode(
        _claims(iss="https://evil.test"), rsa_keys.private_pem, "RS256",
        headers={"kid": manager.key_ring.active.kid},
    )  # fmt: skip
    assert _reason(manager, token) == "wrong_issuer"


def test_wrong_audience(manager: JWTManager, rsa_keys: KeyPair) -> None:
    token = jwt.encode(
        _claims(aud="another-api"), rsa_keys.private_pem, "RS256",
        headers={"kid": manager.key_ring.active.kid},
    )  # fmt: skip
    assert _reason(manager, token) == "wrong_audience"


def test_missing_required_claim(manager: JWTManager, rsa_keys: KeyPair) -> None:
    claims = _claims()
    del claims["jti"]
    token = jwt.encode(claims, rsa_keys.private_pem, "RS256")
    assert _reason(manager, token) == "missing_claim"


def test_tampered_payload(manager: JWTManager) -> None:
    head, body, signature = manager.create_access_token("1", roles=["user"]).split(".")
    claims = json.loads(_unb64(body))
    claims["roles"] = ["admin"]
    forged = f"{head}.{_b64(json.dumps(claims).encode())}.{signature}"
    assert _reason(manager, forged) == "bad_signature"


def test_tampered_signature(manager: JWTManager) -> None:
    head, body, signature = manager.create_access_token("1").split(".")
    raw = bytearray(_unb64(signature))
    raw[10] ^= 0x01
    assert _reason(manager, f"{head}.{body}.{_b64(bytes(raw))}") == "bad_signature"


@pytest.mark.parametrize("alg", ["none", "None", "NONE", ""])
def test_alg_none(manager: JWTManager, alg: str) -> None:
    forged = _forge({"alg": alg, "typ": "JWT", "kid": manager.key_ring.active.kid}, _claims())
    assert _reason(manager, forged) == "algorithm_not_allowed"
    assert _reason(manager, _forge({"alg": alg}, _claims())) == "algorithm_not_allowed"


def test_rs256_token_resigned_as_hs256_with_the_public_key(
    manager: JWTManager, rsa_keys: KeyPair
) -> None:
    # The classic confusion attack: HMAC-sign with the (public!) PEM as the secret.
    header = {"alg": "HS256", "typ": "JWT", "kid": manager.key_ring.active.kid}
    head = _b64(json.dumps(header).encode())
    body = _b64(json.dumps(_claims(roles=["admin"])).encode())
    mac = hmac.HMAC(rsa_keys.public_pem.encode(), hashes.SHA256())
    mac.update(f"{head}.{body}".encode())
    forged = f"{head}.{body}.{_b64(mac.finalize())}"
    assert _reason(manager, forged) == "algorithm_not_allowed"
    # Without a kid (the active key is used) the answer is the same.
    assert _reason(manager, forged.replace(head, _b64(b'{"alg":"HS256"}'), 1)) in {
        "algorithm_not_allowed",
        "bad_signature",
    }


def test_unknown_kid(manager: JWTManager, rsa_keys_2: KeyPair) -> None:
    token = jwt.encode(_claims(), rsa_keys_2.private_pem, "RS256", headers={"kid": "someone-else"})
    assert _reason(manager, token) == "unknown_kid"


@pytest.mark.parametrize(
    "kid",
    [
        "../../etc/passwd",
        "/dev/null",
        "..",
        "key' OR '1'='1",
        "1; DROP TABLE keys;--",
        "kid\x00null",
        "a b",
        "x" * 200,
        "",
        12,
        {"$ne": None},
    ],
)
def test_kid_with_path_or_sql_characters(manager: JWTManager, kid: object) -> None:
    forged = _forge({"alg": "RS256", "typ": "JWT", "kid": kid}, _claims(), b"sig")
    # PyJWT itself refuses a kid that is not a string; netrun refuses the rest.
    expected = {"malformed_kid"} if isinstance(kid, str) else {"malformed", "malformed_kid"}
    assert _reason(manager, forged) in expected


def test_revoked_jti(manager: JWTManager) -> None:
    token = manager.create_access_token("1")
    manager.revoke(manager.verify(token)["jti"])
    assert _reason(manager, token) == "revoked"


def test_refresh_token_reuse(manager: JWTManager) -> None:
    pair = manager.create_token_pair("1")
    manager.refresh(pair.refresh_token)
    with pytest.raises(TokenRejectedError) as caught:
        manager.refresh(pair.refresh_token)
    assert caught.value.reason == "refresh_reuse"


def test_token_for_tenant_a_on_tenant_b(manager: JWTManager) -> None:
    claims = manager.verify(manager.create_access_token("1", tenant_id="tenant-a"))
    check_tenant_access(claims, "tenant-a")
    with pytest.raises(TenantAccessDeniedError) as caught:
        check_tenant_access(claims, "tenant-b")
    assert caught.value.status_code == 403
    no_tenant = manager.verify(manager.create_access_token("1"))
    with pytest.raises(TenantAccessDeniedError):
        check_tenant_access(no_tenant, "tenant-a")  # fail closed


def test_key_of_another_algorithm_family_is_never_used(rsa_keys: KeyPair, ec_keys: KeyPair) -> None:
    # An ES256 key ring refuses an RS256 token even when it is validly signed.
    es = JWTManager(
        AuthConfig(jwt_algorithm="ES256", jwt_private_key=ec_keys.private_pem, _env_file=None)
    )
    token = jwt.encode(
        _claims(), rsa_keys.private_pem, "RS256", headers={"kid": es.key_ring.active.kid}
    )
    assert _reason(es, token) == "algorithm_not_allowed"


def test_a_deeply_nested_header_is_malformed_not_a_recursion_error(manager: JWTManager) -> None:
    head = base64.urlsafe_b64encode(b"[" * 3000).rstrip(b"=").decode()
    assert len(head) <= 4096  # under the header size limit: the decoder does see it
    with pytest.raises(TokenRejectedError) as caught:
        manager.verify(f"{head}.e30.c2ln")
    assert caught.value.reason == "malformed"
