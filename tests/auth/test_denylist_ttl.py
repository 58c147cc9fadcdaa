"""A revocation lasts as long as the token could still verify, clock-skew leeway included.

Kills the mutant ``max(remaining, 0) + leeway + 1`` -> ``- leeway`` in ``JWTManager._ttl``
(``make mutation``): the suite's other managers run with ``leeway=0``, where both agree, and
with a leeway the denylist entry would lapse while ``decode`` still accepts the token.
"""

from __future__ import annotations

import time

import pytest

from netrun.auth import AuthConfig, JWTManager, MemoryDenylist, TokenRejectedError
from tests.auth.conftest import AUDIENCE, ISSUER, KeyPair

LEEWAY = 120


class RecordingDenylist(MemoryDenylist):
    """The in-memory denylist, keeping the TTL of every entry it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.ttls: dict[str, int] = {}

    def deny(self, key: str, ttl: int) -> None:
        self.ttls[key] = ttl
        super().deny(key, ttl)

    def claim(self, key: str, ttl: int) -> bool:
        self.ttls[key] = ttl
        return super().claim(key, ttl)


@pytest.fixture
def skewed(rsa_keys: KeyPair) -> tuple[JWTManager, RecordingDenylist]:
    config = AuthConfig(
        jwt_private_key=rsa_keys.private_pem,
        jwt_public_key=rsa_keys.public_pem,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        leeway=LEEWAY,
        _env_file=None,
    )
    denylist = RecordingDenylist()
    return JWTManager(config, denylist=denylist), denylist


def test_a_revoked_token_stays_denied_through_the_leeway(
    skewed: tuple[JWTManager, RecordingDenylist],
) -> None:
    manager, denylist = skewed
    token = manager.create_access_token("u1")
    claims = manager.decode(token)
    manager.revoke_token(token)
    with pytest.raises(TokenRejectedError):
        manager.decode(token)
    # decode accepts the token until exp + leeway: the entry must live at least that long.
    last_accepted = int(claims["exp"]) + LEEWAY - int(time.time())
    assert denylist.ttls[f"jti:{claims['jti']}"] >= last_accepted


def test_a_spent_refresh_token_stays_spent_through_the_leeway(
    skewed: tuple[JWTManager, RecordingDenylist],
) -> None:
    manager, denylist = skewed
    pair = manager.create_token_pair("u1")
    claims = manager.decode(pair.refresh_token, token_type="refresh")
    manager.refresh(pair.refresh_token)
    with pytest.raises(TokenRejectedError):
        manager.refresh(pair.refresh_token)
    last_accepted = int(claims["exp"]) + LEEWAY - int(time.time())
    assert denylist.ttls[f"used:{claims['jti']}"] >= last_accepted


def test_a_memory_entry_lapses_exactly_at_its_ttl_as_in_redis() -> None:
    # Kills `expires <= now` -> `expires < now` in MemoryDenylist._live: the in-memory
    # denylist keeps Redis' EX semantics, so one store can stand in for the other in tests.
    now = [100.0]
    denylist = MemoryDenylist(clock=lambda: now[0])
    denylist.deny("jti:a", 10)
    now[0] = 109.999
    assert denylist.any_denied(["jti:a"])
    now[0] = 110.0
    assert not denylist.any_denied(["jti:a"])
    assert denylist.claim("jti:a", 10)
