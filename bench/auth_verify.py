"""Token verifications per second: netrun.auth vs djangorestframework-simplejwt, same tokens.

For RS256 and ES256, access tokens are issued by netrun's ``JWTManager`` (with ``iss``,
``aud``, ``kid``, ``sub``, ``jti``, ``token_type``) and verified, in the same run, by:

* netrun ``JWTManager.verify``: header and ``kid`` checks, the key ring lookup, signature,
  ``exp``/``nbf``/``iat``/``iss``/``aud``/required claims, token type, and the denylist
  lookup (in memory) for the ``jti``, refresh family and user cutoff;
* simplejwt ``TokenBackend.decode``: signature, ``exp``, ``iss``, ``aud``;
* simplejwt ``AccessToken(token)``: the backend plus simplejwt's own ``exp``/``jti``/type checks,
  which is what its ``JWTAuthentication`` runs per request.

simplejwt verifies with PyJWT's ``jwt.decode``; netrun makes the same checks with
``netrun.auth._jws`` (``tests/auth/test_jws.py`` shows both give the same verdicts), which
skips PyJWT's character-by-character base64url check in Python: that loop, not the
signature, is most of ``jwt.decode``'s RS256 time.

Two workloads:

* **first seen**: ``--tokens`` distinct tokens, each verified once per round; netrun's
  verification cache is on (default size) and empty at the start of each round, so its
  bookkeeping (digest, insert, eviction) is paid and never repaid by a hit;
* **repeated**: one token verified ``--tokens`` times, as a client reusing its access token
  does; netrun answers from its cache (expiry, key and the revocation lookup still checked
  on every hit); simplejwt has no cache.

The contenders take turns call by call, so the load of a shared machine hits them alike;
the best of the rounds is reported.
The ratio is netrun's rate over simplejwt's (1.0 = as fast).

    python bench/auth_verify.py [--tokens 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import django
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings

ISSUER = "https://auth.bench.test"
AUDIENCE = "bench-api"


def _configure_django() -> None:
    # simplejwt's modules read Django settings at import: a minimal, in-memory project.
    settings.configure(
        SECRET_KEY="bench-only-" + "x" * 40,
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "rest_framework"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        SIMPLE_JWT={"ISSUER": ISSUER, "AUDIENCE": AUDIENCE},
        USE_TZ=True,
    )
    django.setup()


def _pem(private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> tuple[str, str]:
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def _interleaved(
    contenders: dict[str, tuple[Callable[[str], object], list[str]]], count: int
) -> dict[str, float]:
    """Rates of one round, the contenders taking turns call by call.

    On a shared machine the load changes from one millisecond to the next; taking turns at
    each call (about 0.2 ms) spreads it evenly over the contenders, where timing a whole
    loop of each would hand one of them a quiet second and another a busy one.
    """
    spent = dict.fromkeys(contenders, 0.0)
    names = list(contenders)
    clock = time.perf_counter
    for index in range(count):
        # Who goes first rotates too: the first to touch a new token pays for cold caches.
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            verify, tokens = contenders[name]
            token = tokens[index]
            start = clock()
            verify(token)
            spent[name] += clock() - start
    return {name: count / seconds for name, seconds in spent.items()}


def bench(algorithm: str, private_pem: str, public_pem: str, count: int, rounds: int) -> None:
    from rest_framework_simplejwt.backends import TokenBackend
    from rest_framework_simplejwt.tokens import AccessToken

    from netrun.auth import AuthConfig, JWTManager, MemoryDenylist

    config = AuthConfig(
        jwt_algorithm=algorithm,
        jwt_private_key=private_pem,
        jwt_public_key=public_pem,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        _env_file=None,
    )
    manager = JWTManager(config, denylist=MemoryDenylist())
    backend = TokenBackend(
        algorithm, private_pem, public_pem, audience=AUDIENCE, issuer=ISSUER, leeway=0
    )
    distinct = [
        manager.create_access_token(user_id=str(n), roles=["agent"], tenant_id="acme")
        for n in range(count)
    ]
    repeated = [distinct[0]] * count

    class BenchAccessToken(AccessToken):
        def get_token_backend(self) -> TokenBackend:
            return backend

    # Same token, same claims: check everyone accepts it before timing.
    token = distinct[0]
    assert manager.verify(token)["sub"] == backend.decode(token)["sub"] == "0"
    assert BenchAccessToken(token)["sub"] == "0"  # type: ignore[arg-type]

    def first_seen(token: str) -> object:
        return fresh.verify(token)

    contenders: dict[str, tuple[Callable[[str], object], list[str]]] = {
        "netrun verify, first seen": (first_seen, distinct),
        "netrun verify, repeated": (manager.verify, repeated),
        "simplejwt TokenBackend.decode": (backend.decode, distinct),
        "simplejwt AccessToken(token)": (BenchAccessToken, distinct),  # type: ignore[dict-item]
    }
    best = dict.fromkeys(contenders, 0.0)
    for _ in range(rounds):
        # A new manager (same keys) per round: its cache starts empty, so nothing is repeated.
        fresh = JWTManager(config, key_ring=manager.key_ring, denylist=MemoryDenylist())
        for name, rate in _interleaved(contenders, count).items():
            best[name] = max(best[name], rate)

    print(f"\n{algorithm}: {count} verifications per round, best of {rounds} rounds")
    for name, rate in best.items():
        print(f"  {name:32s} {rate:10,.0f} verifications/s")
    access_token = best["simplejwt AccessToken(token)"]
    decode = best["simplejwt TokenBackend.decode"]
    first, again = best["netrun verify, first seen"], best["netrun verify, repeated"]
    print(f"  first seen / TokenBackend.decode:  {first / decode:.2f}")
    print(f"  first seen / AccessToken(token):   {first / access_token:.2f}")
    print(f"  repeated   / AccessToken(token):   {again / access_token:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=2000, help="verifications per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    _configure_django()
    rsa_pair = _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    ec_pair = _pem(ec.generate_private_key(ec.SECP256R1()))
    bench("RS256", *rsa_pair, args.tokens, args.rounds)
    bench("ES256", *ec_pair, args.tokens, args.rounds)


if __name__ == "__main__":
    main()
