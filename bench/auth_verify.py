"""Token verifications per second: netrun.auth vs djangorestframework-simplejwt, same tokens.

For RS256 and ES256, one access token is issued by netrun's ``JWTManager`` (with ``iss``,
``aud``, ``kid``, ``sub``, ``jti``, ``token_type``) and verified, in the same run, by:

* netrun ``JWTManager.verify``: header and ``kid`` checks, the key ring lookup, signature,
  ``exp``/``nbf``/``iat``/``iss``/``aud``/required claims, token type, and the denylist
  lookup (in memory) for the ``jti`` and refresh family;
* simplejwt ``TokenBackend.decode``: signature, ``exp``, ``iss``, ``aud``;
* simplejwt ``AccessToken(token)``: the backend plus simplejwt's own ``exp``/``jti``/type checks,
  which is what its ``JWTAuthentication`` runs per request.

Rounds are interleaved so drift hits every contender alike; the best round is reported.
The ratio is netrun's rate over simplejwt's (1.0 = as fast; signature math dominates both).

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


def _rate(verify: Callable[[str], object], token: str, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        verify(token)
    return count / (time.perf_counter() - start)


def bench(algorithm: str, private_pem: str, public_pem: str, count: int, rounds: int) -> None:
    from rest_framework_simplejwt.backends import TokenBackend
    from rest_framework_simplejwt.tokens import AccessToken

    from netrun.auth import AuthConfig, JWTManager, MemoryDenylist

    manager = JWTManager(
        AuthConfig(
            jwt_algorithm=algorithm,
            jwt_private_key=private_pem,
            jwt_public_key=public_pem,
            jwt_issuer=ISSUER,
            jwt_audience=AUDIENCE,
            _env_file=None,
        ),
        denylist=MemoryDenylist(),
    )
    backend = TokenBackend(
        algorithm, private_pem, public_pem, audience=AUDIENCE, issuer=ISSUER, leeway=0
    )
    token = manager.create_access_token(user_id="42", roles=["agent"], tenant_id="acme")

    class BenchAccessToken(AccessToken):
        def get_token_backend(self) -> TokenBackend:
            return backend

    # Same token, same claims: check everyone accepts it before timing.
    assert manager.verify(token)["sub"] == backend.decode(token)["sub"] == "42"
    assert BenchAccessToken(token)["sub"] == "42"  # type: ignore[arg-type]

    contenders: dict[str, Callable[[str], object]] = {
        "netrun JWTManager.verify": manager.verify,
        "simplejwt TokenBackend.decode": backend.decode,
        "simplejwt AccessToken(token)": BenchAccessToken,  # type: ignore[dict-item]
    }
    best = dict.fromkeys(contenders, 0.0)
    for _ in range(rounds):
        for name, verify in contenders.items():
            best[name] = max(best[name], _rate(verify, token, count))

    print(f"\n{algorithm}: {count} verifications per round, best of {rounds} rounds")
    for name, rate in best.items():
        print(f"  {name:32s} {rate:10,.0f} verifications/s")
    netrun = best["netrun JWTManager.verify"]
    print(
        f"  ratio netrun / TokenBackend.decode:  {netrun / best['simplejwt TokenBackend.decode']:.2f}"
    )
    print(
        f"  ratio netrun / AccessToken(token):   {netrun / best['simplejwt AccessToken(token)']:.2f}"
    )


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
