"""netrun.auth._jws against ``jwt.decode``: the same hostile tokens, the same verdicts.

Each token is verified by the manager (``netrun.auth._jws``) and by PyJWT's ``jwt.decode``
with the options the manager used to pass it; both must accept it, or refuse it for the same
reason. The two places netrun is stricter (padding, ``crit``/``b64``) are pinned separately.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest

from netrun.auth import AuthConfig, JWTManager, MemoryDenylist, TokenRejectedError
from netrun.auth.tokens import pyjwt_reason
from netrun.errors import TokenExpiredError
from tests.auth.conftest import AUDIENCE, ISSUER, KeyPair


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(params=["RS256", "ES256", "HS256"])
def manager(request: pytest.FixtureRequest, rsa_keys: KeyPair, ec_keys: KeyPair) -> JWTManager:
    algorithm = request.param
    if algorithm == "HS256":
        keys: dict[str, Any] = {"jwt_secret": "s" * 40}
    else:
        pair = rsa_keys if algorithm == "RS256" else ec_keys
        keys = {"jwt_private_key": pair.private_pem, "jwt_public_key": pair.public_pem}
    config = AuthConfig(
        jwt_algorithm=algorithm, jwt_issuer=ISSUER, jwt_audience=AUDIENCE, _env_file=None, **keys
    )
    return JWTManager(config, denylist=MemoryDenylist(), verify_cache_size=0)


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "42",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": "a" * 32,
        "token_type": "access",
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    for name, value in changes.items():
        if value is _DROP:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


_DROP = object()


def _sign(manager: JWTManager, payload: bytes, header: dict[str, Any] | None = None) -> str:
    key = manager.key_ring.active
    head = _b64(json.dumps(header or {"alg": key.algorithm, "kid": key.kid}).encode())
    body = _b64(payload)
    algorithm = jwt.get_algorithm_by_name(key.algorithm)
    signature = algorithm.sign(f"{head}.{body}".encode(), key.signing_key)
    return f"{head}.{body}.{_b64(signature)}"


def _token(manager: JWTManager, **changes: Any) -> str:
    return _sign(manager, json.dumps(_claims(**changes)).encode())


def netrun_verdict(manager: JWTManager, token: str) -> str:
    try:
        manager.decode(token, token_type=None, check_revoked=False)
    except TokenExpiredError:
        return "expired"
    except TokenRejectedError as error:
        return error.reason
    return "ok"


def pyjwt_verdict(manager: JWTManager, token: str) -> str:
    """What the manager answered when it called jwt.decode (its options, verbatim)."""
    key = manager.key_ring.active
    rules = manager._rules
    try:
        jwt.decode(
            token,
            key.verifying_key,
            algorithms=[key.algorithm],
            audience=rules.audience,
            issuer=rules.issuer,
            leeway=rules.leeway,
            options={
                "require": list(rules.required),
                "verify_aud": rules.audience is not None,
                "verify_iss": rules.issuer is not None,
            },
        )
    except jwt.ExpiredSignatureError:
        return "expired"
    except jwt.InvalidTokenError as error:
        return pyjwt_reason(error)
    return "ok"


CLAIM_CASES: dict[str, dict[str, Any]] = {
    "valid": {},
    "expired": {"exp": int(time.time()) - 10},
    "expires now": {"exp": int(time.time())},
    "exp as digits": {"exp": str(int(time.time()) + 300)},
    "exp not a number": {"exp": "soon"},
    "exp a list": {"exp": [1]},
    "nbf in the future": {"nbf": int(time.time()) + 600},
    "nbf not a number": {"nbf": "later"},
    "iat in the future": {"iat": int(time.time()) + 600},
    "iat not a number": {"iat": "then"},
    "iat a float": {"iat": time.time() - 1},
    "no exp": {"exp": _DROP},
    "exp null": {"exp": None},
    "no iat": {"iat": _DROP},
    "no jti": {"jti": _DROP},
    "no token_type": {"token_type": _DROP},
    "no iss": {"iss": _DROP},
    "no aud": {"aud": _DROP},
    "no sub": {"sub": _DROP},
    "wrong iss": {"iss": "https://evil.test"},
    "iss a number": {"iss": 7},
    "iss a list": {"iss": [ISSUER]},
    "wrong aud": {"aud": "other-api"},
    "aud in a list": {"aud": ["other-api", AUDIENCE]},
    "aud list without it": {"aud": ["other-api"]},
    "aud list with a number": {"aud": [AUDIENCE, 3]},
    "aud empty list": {"aud": []},
    "aud empty string": {"aud": ""},
    "aud an object": {"aud": {"x": AUDIENCE}},
    "aud a number": {"aud": 5},
    "sub a number": {"sub": 42},
    "jti a number": {"jti": 7},
    "jti null": {"jti": None},
}


@pytest.mark.parametrize("case", list(CLAIM_CASES))
def test_claims_get_the_verdict_jwt_decode_gives(manager: JWTManager, case: str) -> None:
    token = _token(manager, **CLAIM_CASES[case])
    assert netrun_verdict(manager, token) == pyjwt_verdict(manager, token)


def test_the_cases_cover_acceptance_and_each_refusal(manager: JWTManager) -> None:
    verdicts = {netrun_verdict(manager, _token(manager, **c)) for c in CLAIM_CASES.values()}
    assert verdicts == {
        "ok",
        "expired",
        "malformed",
        "not_yet_valid",
        "invalid_claims",
        "missing_claim",
        "wrong_issuer",
        "wrong_audience",
    }


def _mangled(manager: JWTManager) -> dict[str, str]:
    good = _token(manager)
    head, body, crypto = good.split(".")
    last = crypto[-1]
    # Same bytes, another spelling: the unused low bits of the last character set.
    spare = {2: 15, 3: 3}.get(len(crypto) % 4, 0)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    respelt = alphabet[alphabet.index(last) | spare]
    assert spare  # RS256, ES256 and HS256 signatures all leave bits over
    assert respelt != last
    key = manager.key_ring.active
    other_family = {"alg": "RS256" if key.symmetric else "HS256", "kid": key.kid}
    flipped = crypto[:-3] + ("A" if crypto[-3] != "A" else "B") + crypto[-2:]
    return {
        "valid": good,
        "tampered payload": f"{head}.{_b64(json.dumps(_claims(sub='43')).encode())}.{crypto}",
        "tampered signature": f"{head}.{body}.{flipped}",
        "respelt signature": f"{head}.{body}.{crypto[:-1]}{respelt}",
        "bad character in payload": f"{head}.{body[:-1]}!.{crypto}",
        "bad character in signature": f"{head}.{body}.{crypto[:-1]}*",
        "signature of 4n+1 characters": f"{head}.{body}.{crypto}A"
        if len(crypto) % 4 == 0
        else f"{head}.{body}.{crypto[: len(crypto) - len(crypto) % 4 + 1]}",
        "four segments": f"{good}.{crypto}",
        "two segments": f"{head}.{body}",
        "empty signature": f"{head}.{body}.",
        "payload a list": _sign(manager, b"[1, 2]"),
        "payload not JSON": _sign(manager, b"{nope"),
        "payload deeply nested": _sign(manager, b"[" * 5000 + b"]" * 5000),
        "header not JSON": f"{_b64(b'{nope')}.{body}.{crypto}",
        "header a list": f"{_b64(b'[1]')}.{body}.{crypto}",
        "header with a bad character": f"{head[:-1]}!.{body}.{crypto}",
        "alg none": _sign(
            manager, b"{}", {"alg": "none", "kid": manager.key_ring.active.kid}
        ).rpartition(".")[0]
        + ".",
        "alg of another family": f"{_b64(json.dumps(other_family).encode())}.{body}.{crypto}",
    }


MANGLED = [
    "valid",
    "tampered payload",
    "tampered signature",
    "respelt signature",
    "bad character in payload",
    "bad character in signature",
    "signature of 4n+1 characters",
    "four segments",
    "two segments",
    "empty signature",
    "payload a list",
    "payload not JSON",
    "payload deeply nested",
    "header not JSON",
    "header a list",
    "header with a bad character",
]


@pytest.mark.parametrize("case", MANGLED)
def test_mangled_tokens_get_the_verdict_jwt_decode_gives(manager: JWTManager, case: str) -> None:
    token = _mangled(manager)[case]
    verdict = netrun_verdict(manager, token)
    assert verdict == pyjwt_verdict(manager, token)
    assert (verdict == "ok") == (case == "valid")


@pytest.mark.parametrize("case", ["alg none", "alg of another family"])
def test_the_key_chooses_the_algorithm_never_the_header(manager: JWTManager, case: str) -> None:
    token = _mangled(manager)[case]
    assert netrun_verdict(manager, token) == "algorithm_not_allowed"
    assert pyjwt_verdict(manager, token) != "ok"


def test_padding_is_refused_where_pyjwt_tolerates_it(manager: JWTManager) -> None:
    head, body, crypto = _token(manager).split(".")
    padded = f"{head}.{body}.{crypto}{'=' * (-len(crypto) % 4)}"
    if padded.endswith("="):
        assert pyjwt_verdict(manager, padded) == "ok"
        assert netrun_verdict(manager, padded) == "malformed"
    padded_body = f"{head}.{body}{'=' * (-len(body) % 4)}.{crypto}"
    assert netrun_verdict(manager, padded_body) in {"malformed", "ok"}
    assert netrun_verdict(manager, padded_body) == ("malformed" if "=" in padded_body else "ok")


@pytest.mark.parametrize(
    "extra", [{"crit": ["b64"], "b64": True}, {"crit": ["exp"]}, {"b64": False}, {"crit": []}]
)
def test_critical_and_unencoded_payload_headers_are_refused(
    manager: JWTManager, extra: dict[str, Any]
) -> None:
    key = manager.key_ring.active
    token = _sign(
        manager, json.dumps(_claims()).encode(), {"alg": key.algorithm, "kid": key.kid, **extra}
    )
    assert netrun_verdict(manager, token) == "invalid"


def test_leeway_applies_as_in_jwt_decode(rsa_keys: KeyPair) -> None:
    config = AuthConfig(
        jwt_private_key=rsa_keys.private_pem,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        leeway=30,
        _env_file=None,
    )
    manager = JWTManager(config, verify_cache_size=0)
    now = int(time.time())
    for changes, expected in (
        ({"exp": now - 10}, "ok"),
        ({"exp": now - 40}, "expired"),
        ({"nbf": now + 10, "iat": now + 10}, "ok"),
        ({"nbf": now + 40}, "not_yet_valid"),
    ):
        token = _token(manager, **changes)
        assert netrun_verdict(manager, token) == pyjwt_verdict(manager, token) == expected
