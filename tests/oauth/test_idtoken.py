"""ID token verification against the local provider's real JWKS endpoint."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from netrun.errors import TokenExpiredError, TokenInvalidError
from netrun.oauth import IDTokenVerifier, JWKSCache
from netrun.oauth._idtoken import unverified_header
from tests.oauth.stub import CLIENT_ID, StubIdP, b64, rsa_key, sign_hs256


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


@pytest.fixture
def verifier(idp: StubIdP, http: httpx.Client) -> IDTokenVerifier:
    jwks = JWKSCache(f"{idp.url}/jwks", provider="stub", http=http)
    return IDTokenVerifier(
        provider="stub", client_id=CLIENT_ID, issuer=idp.url, jwks=jwks, algorithms=["RS256"]
    )


def reason(excinfo: pytest.ExceptionInfo[TokenInvalidError]) -> object:
    return excinfo.value.details["reason"]


def test_a_valid_token_yields_its_claims(idp: StubIdP, verifier: IDTokenVerifier) -> None:
    claims = verifier.verify(idp.id_token(idp.claims(nonce="n-1")), nonce="n-1")
    assert claims["sub"] == "user-1"
    assert claims["email"] == "ada@acme.test"


def test_a_token_signed_by_another_key_with_the_same_kid_is_refused(
    idp: StubIdP, verifier: IDTokenVerifier
) -> None:
    forged = idp.id_token(idp.claims(nonce="n"), key=idp.forged_key)
    with pytest.raises(TokenInvalidError) as excinfo:
        verifier.verify(forged, nonce="n")
    assert reason(excinfo) == "bad_signature"


def test_a_tampered_payload_is_refused(idp: StubIdP, verifier: IDTokenVerifier) -> None:
    header, _, signature = idp.id_token(idp.claims(nonce="n")).split(".")
    other_payload = idp.id_token(idp.claims(nonce="n", sub="admin")).split(".")[1]
    with pytest.raises(TokenInvalidError) as excinfo:
        verifier.verify(f"{header}.{other_payload}.{signature}", nonce="n")
    assert reason(excinfo) == "bad_signature"


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"nonce": "someone-elses"}, "nonce_mismatch"),
        ({"nonce": None}, "nonce_mismatch"),
        ({"aud": "another-client"}, "wrong_audience"),
        ({"aud": [CLIENT_ID, "another-client"]}, "wrong_authorized_party"),
        ({"iss": "https://evil.example"}, "wrong_issuer"),
        ({"sub": None}, "missing_subject"),
        ({"exp": None}, "missing_exp"),
        ({"iat": int(time.time()) + 3600}, "bad_iat"),
        ({"nbf": int(time.time()) + 3600}, "not_yet_valid"),
    ],
)
def test_claims_that_do_not_match_are_refused(
    idp: StubIdP, verifier: IDTokenVerifier, claims: dict[str, object], expected: str
) -> None:
    token = idp.id_token(idp.claims(**{"nonce": "n", **claims}))
    with pytest.raises(TokenInvalidError) as excinfo:
        verifier.verify(token, nonce="n")
    assert reason(excinfo) == expected


def test_several_audiences_are_fine_when_azp_is_this_client(
    idp: StubIdP, verifier: IDTokenVerifier
) -> None:
    token = idp.id_token(idp.claims(nonce="n", aud=[CLIENT_ID, "api"], azp=CLIENT_ID))
    assert verifier.verify(token, nonce="n")["azp"] == CLIENT_ID


def test_an_expired_token_is_refused_as_expired(idp: StubIdP, verifier: IDTokenVerifier) -> None:
    now = int(time.time())
    token = idp.id_token(idp.claims(nonce="n", iat=now - 900, exp=now - 600))
    with pytest.raises(TokenExpiredError):
        verifier.verify(token, nonce="n")


def test_alg_none_is_refused_before_any_key_lookup(idp: StubIdP, verifier: IDTokenVerifier) -> None:
    token = idp.id_token(idp.claims(nonce="n"), alg="none")
    with pytest.raises(TokenInvalidError) as excinfo:
        verifier.verify(token, nonce="n")
    assert reason(excinfo) == "algorithm_not_allowed"
    assert idp.counts["/jwks"] == 0


def test_none_in_the_allowed_list_is_dropped(idp: StubIdP, http: httpx.Client) -> None:
    jwks = JWKSCache(f"{idp.url}/jwks", provider="stub", http=http)
    verifier = IDTokenVerifier(
        provider="stub",
        client_id=CLIENT_ID,
        issuer=idp.url,
        jwks=jwks,
        algorithms=["none", "RS256"],
    )
    assert verifier.algorithms == ("RS256",)


def test_an_hs256_token_signed_with_the_public_key_is_refused(
    idp: StubIdP, verifier: IDTokenVerifier
) -> None:
    public_pem = idp.key.as_pem(private=False)
    token = sign_hs256(idp.claims(nonce="n"), public_pem)
    with pytest.raises(TokenInvalidError) as excinfo:
        verifier.verify(token, nonce="n")
    assert reason(excinfo) == "algorithm_not_allowed"


@pytest.mark.parametrize("token", ["", "a.b", "!!!.e30.sig", "bm90IGpzb24.e30.sig"])
def test_malformed_tokens_are_refused(verifier: IDTokenVerifier, token: str) -> None:
    with pytest.raises(TokenInvalidError) as excinfo:
        verifier.verify(token, nonce=None)
    assert reason(excinfo) == "malformed"


def test_a_non_string_kid_is_refused(idp: StubIdP, verifier: IDTokenVerifier) -> None:
    header = b64(json.dumps({"alg": "RS256", "kid": 7}).encode())
    token = f"{header}.{b64(json.dumps(idp.claims()).encode())}.c2ln"
    with pytest.raises(TokenInvalidError) as excinfo:
        verifier.verify(token, nonce=None)
    assert reason(excinfo) == "malformed"


def test_a_deeply_nested_header_is_not_a_header_nor_a_crash() -> None:
    nested = b64(b"[" * 100_000 + b"]" * 100_000)
    assert unverified_header(f"{nested}.e30.x") is None


def test_unverified_header_reads_only_compact_json_objects() -> None:
    assert unverified_header("W10.e30.x") is None  # a JSON array is not a header
    assert unverified_header("eyJhbGciOiJSUzI1NiJ9.e30.x") == {"alg": "RS256"}


def test_an_unknown_kid_refetches_once_then_is_refused(
    idp: StubIdP, verifier: IDTokenVerifier
) -> None:
    verifier.verify(idp.id_token(idp.claims(nonce="n")), nonce="n")
    assert idp.counts["/jwks"] == 1
    stranger = rsa_key("key-unknown")
    for _ in range(3):
        with pytest.raises(TokenInvalidError) as excinfo:
            verifier.verify(idp.id_token(idp.claims(nonce="n"), key=stranger), nonce="n")
        assert reason(excinfo) == "unknown_kid"
    # One refetch for the first unknown kid, none for the next ones (rate limited).
    assert idp.counts["/jwks"] == 2


def test_a_rotated_key_is_found_by_one_refetch(idp: StubIdP, verifier: IDTokenVerifier) -> None:
    verifier.verify(idp.id_token(idp.claims(nonce="n")), nonce="n")
    new_key = rsa_key("key-2")
    idp.published_keys = [idp.key, new_key]
    claims = verifier.verify(idp.id_token(idp.claims(nonce="n"), key=new_key), nonce="n")
    assert claims["sub"] == "user-1"
    assert idp.counts["/jwks"] == 2
    # The key is now cached: no further fetch.
    verifier.verify(idp.id_token(idp.claims(nonce="n"), key=new_key), nonce="n")
    assert idp.counts["/jwks"] == 2


def test_a_token_without_kid_uses_the_only_key(idp: StubIdP, verifier: IDTokenVerifier) -> None:
    from joserfc import jwt

    token = jwt.encode({"alg": "RS256"}, idp.claims(nonce="n"), idp.key)
    assert verifier.verify(token, nonce="n")["sub"] == "user-1"


def test_entra_multi_tenant_issuer_is_checked_against_tid(idp: StubIdP, http: httpx.Client) -> None:
    jwks = JWKSCache(f"{idp.url}/jwks", provider="entra", http=http)
    verifier = IDTokenVerifier(
        provider="entra",
        client_id=CLIENT_ID,
        issuer="https://login.microsoftonline.com/{tenantid}/v2.0",
        jwks=jwks,
        algorithms=["RS256"],
        allowed_tenants=["tid-acme"],
    )
    good = idp.claims(iss="https://login.microsoftonline.com/tid-acme/v2.0", tid="tid-acme")
    assert verifier.verify(idp.id_token(good), nonce=None)["tid"] == "tid-acme"
    lying = idp.claims(iss="https://login.microsoftonline.com/tid-acme/v2.0", tid="tid-evil")
    with pytest.raises(TokenInvalidError) as excinfo:
        verifier.verify(idp.id_token(lying), nonce=None)
    assert reason(excinfo) == "wrong_issuer"
    stranger = idp.claims(iss="https://login.microsoftonline.com/tid-evil/v2.0", tid="tid-evil")
    with pytest.raises(TokenInvalidError) as excinfo:
        verifier.verify(idp.id_token(stranger), nonce=None)
    assert reason(excinfo) == "tenant_not_allowed"
    with pytest.raises(TokenInvalidError) as excinfo:
        verifier.verify(idp.id_token(idp.claims()), nonce=None)
    assert reason(excinfo) == "missing_tid"
