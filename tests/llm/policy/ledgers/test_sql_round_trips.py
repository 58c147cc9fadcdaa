"""SQLLedger runs each budget operation as one server-side function: one round trip each.

Round trips are counted on the wire with libpq's protocol trace: every exchange ends with the
server's ``ReadyForQuery``, so a ``BEGIN``/``COMMIT`` or a second statement would show up.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterator

import pytest

from netrun.llm.policy.ledgers import Period, ReservationRefused, WindowUsage, windows_for

NOW = dt.datetime(2025, 6, 30, 23, 30, tzinfo=dt.timezone.utc)

psycopg = pytest.importorskip("psycopg")
psycopg_pool = pytest.importorskip("psycopg_pool")

from netrun.llm.policy.ledgers.sql import DDL, SQLLedger  # noqa: E402 - needs psycopg_pool


@pytest.fixture
def pool(postgres_dsn: str) -> Iterator[psycopg_pool.ConnectionPool]:
    # One connection, so the one traced below is the one the ledger uses.
    with psycopg_pool.ConnectionPool(
        postgres_dsn, min_size=1, max_size=1, kwargs={"autocommit": True}, open=True
    ) as opened:
        yield opened


def wire(pool: psycopg_pool.ConnectionPool, operation: Callable[[], object]) -> list[str]:
    """The protocol messages ``operation`` exchanged (one per line, "F"rontend/"B"ackend)."""
    with tempfile.TemporaryFile("w+") as trace:
        with pool.connection() as conn:
            conn.pgconn.trace(trace.fileno())
            conn.pgconn.set_trace_flags(
                psycopg.pq.Trace.SUPPRESS_TIMESTAMPS | psycopg.pq.Trace.REGRESS_MODE
            )
        try:
            operation()
        finally:
            with pool.connection() as conn:
                conn.pgconn.untrace()  # also flushes libpq's buffered trace output
        trace.seek(0)
        return trace.read().splitlines()


def round_trips(messages: list[str]) -> int:
    return sum(1 for line in messages if "ReadyForQuery" in line)


def sent(messages: list[str]) -> str:
    return "\n".join(line for line in messages if line.startswith("F"))


def test_reserve_settle_and_release_are_one_round_trip_each(
    pool: psycopg_pool.ConnectionPool,
) -> None:
    ledger = SQLLedger(pool=pool)
    ledger.create_tables()
    day, month = windows_for(NOW, daily_limit=1000, monthly_limit=700)

    # The first reservation of a tenant also creates its account and window rows.
    for reservation_id in ("r1", "r2"):
        messages = wire(
            pool, lambda rid=reservation_id: ledger.reserve("t1", rid, (day, month), 300, 60)
        )
        assert round_trips(messages) == 1, messages
        assert "netrun_llm_reserve" in sent(messages)
        assert "BEGIN" not in sent(messages)

    def refused() -> None:
        with pytest.raises(ReservationRefused) as error:
            ledger.reserve("t1", "r3", (day, month), 200, 60)
        assert error.value.window.period is Period.MONTH
        assert error.value.usage == WindowUsage(spent=0, reserved=600)

    assert round_trips(wire(pool, refused)) == 1

    messages = wire(pool, lambda: ledger.settle("t1", "r1", (day, month), 100))
    assert round_trips(messages) == 1, messages
    messages = wire(pool, lambda: ledger.release("t1", "r2"))
    assert round_trips(messages) == 1, messages
    assert ledger.usage("t1", day) == WindowUsage(spent=100, reserved=0)


def test_tables_made_without_the_functions_get_them_on_first_use(
    pool: psycopg_pool.ConnectionPool,
) -> None:
    # What the Django migrations leave: the tables only (DjangoLedger needs no functions).
    with pool.connection() as conn:
        conn.execute(DDL)
    ledger = SQLLedger(pool=pool)
    day, month = windows_for(NOW, daily_limit=1000, monthly_limit=5000)
    ledger.reserve("t1", "r1", (day, month), 600, ttl=60)
    ledger.settle("t1", "r1", (day, month), 250)
    assert ledger.usage("t1", month) == WindowUsage(spent=250, reserved=0)
