"""Tenants alternating through a real PgBouncer in transaction mode (2 server connections),
from several processes and threads: transaction scope never shows another tenant's row;
session scope without its check does (so this test can fail), and with it refuses instead."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
from collections import Counter

import pytest

from tests._pgbouncer import PgBouncer
from tests.rbac_rls.conftest import ROOT, RLSEnv

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PROCESSES = 3
THREADS = 4
# Per thread and per run, whichever bound comes first: the run that must find nothing gets
# about 20 s; the ones that must find something stop sooner.
MAX_QUERIES = 3000
SECONDS = 20.0
SHORT = (400, 8.0)


@pytest.fixture(scope="module")
def seeded(rls_env: RLSEnv) -> RLSEnv:
    rls_env.run("-m", "tests.rbac_rls.scenarios", "seed")
    return rls_env


def load(
    env: RLSEnv,
    bouncer: PgBouncer,
    *,
    scope: str,
    session_check: str,
    bounds: tuple[int, float] = (MAX_QUERIES, SECONDS),
) -> Counter[str]:
    environ = env.env(extra=env.through(bouncer, scope=scope, session_check=session_check))
    command = [sys.executable, "-m", "tests.rbac_rls.pooler_load"]
    args = [str(THREADS), str(bounds[0]), str(bounds[1])]
    totals: Counter[str] = Counter()
    with contextlib.ExitStack() as stack:
        # Files, not pipes: a process blocked on a full pipe (the refusals log a line each)
        # would hold its server connection mid-transaction and stall the whole pool.
        outputs = [
            (
                stack.enter_context(tempfile.TemporaryFile("w+")),
                stack.enter_context(tempfile.TemporaryFile("w+")),
            )
            for _ in range(PROCESSES)
        ]
        processes = [
            subprocess.Popen([*command, *args], cwd=ROOT, env=environ, stdout=out, stderr=err)
            for out, err in outputs
        ]
        for process, (out, err) in zip(processes, outputs, strict=True):
            process.wait(timeout=120)
            out.seek(0)
            err.seek(0)
            assert process.returncode == 0, err.read()[-4000:]
            totals.update(json.loads(out.read()))
    return totals


def test_transaction_scope_never_shows_another_tenant(seeded: RLSEnv, pgbouncer: PgBouncer) -> None:
    totals = load(seeded, pgbouncer, scope="transaction", session_check="auto")
    assert totals["queries"] > PROCESSES * THREADS, totals
    assert (totals["foreign"], totals["empty"], totals["refused"], totals["errors"]) == (
        0,
        0,
        0,
        0,
    ), totals


def test_session_scope_without_its_check_leaks_through_the_pooler(
    seeded: RLSEnv, pgbouncer: PgBouncer
) -> None:
    """What issue 18 measured: the pooler hands a session holding another tenant."""
    totals = load(seeded, pgbouncer, scope="session", session_check="off", bounds=SHORT)
    assert totals["foreign"] + totals["empty"] > 0, totals


def test_session_scope_with_its_check_refuses_rather_than_serves(
    seeded: RLSEnv, pgbouncer: PgBouncer
) -> None:
    totals = load(seeded, pgbouncer, scope="session", session_check="auto", bounds=SHORT)
    assert (totals["foreign"], totals["empty"], totals["errors"]) == (0, 0, 0), totals
    assert totals["refused"] > 0, totals


@pytest.mark.parametrize("scope", ["transaction", "session"])
def test_statement_pooling_is_refused_in_either_scope(seeded: RLSEnv, scope: str) -> None:
    """Statement pooling rejects the transaction a tenant needs: nothing is served."""
    bouncer = PgBouncer(users=[seeded.app, "postgres"], pool_mode="statement")
    bouncer.start()
    try:
        result = seeded.run(
            "-m",
            "tests.rbac_rls.scenarios",
            "requests",
            extra=seeded.through(bouncer, scope=scope),
            check=False,
        )
    finally:
        bouncer.stop()
    assert result.returncode != 0
    assert "PASS" not in result.stdout
    assert "transaction blocks not allowed in statement pooling mode" in result.stderr
