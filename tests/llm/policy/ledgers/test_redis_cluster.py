"""The Redis ledger on a real local Redis Cluster and through a real Sentinel failover.

Cluster: the 200-caller race of ``test_concurrency`` (threads and processes) admits exactly
the budget. Sentinel: the replication link is cut (``LinkProxy``), writes go on, the primary
is SIGKILLed and the sentinel promotes the replica. Without ``wait_replicas`` the ledger
acknowledged settlements and holds that the new primary never received, and the lost spend
is admitted again (overspend); with ``wait_replicas=1`` nothing unconfirmed is acknowledged,
nothing acknowledged is lost, and the budget holds across the failover.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import redis.cluster

from netrun.llm.policy.ledgers import Period
from netrun.llm.policy.ledgers.base import BudgetWindow, ReservationRefused
from netrun.llm.policy.ledgers.redis import RedisLedger, ReplicationError
from tests import _redis_topologies as topologies
from tests.llm.policy import _concurrency as race
from tests.llm.policy.test_concurrency import CALLERS, assert_exact, race_processes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def redis_cluster_url() -> Iterator[str]:
    yield from topologies.start_cluster()


@pytest.fixture
def cluster_url(redis_cluster_url: str) -> str:
    client = redis.cluster.RedisCluster.from_url(
        redis_cluster_url.replace("redis+cluster://", "redis://")
    )
    client.flushall(target_nodes=redis.cluster.RedisCluster.PRIMARIES)
    client.close()
    return redis_cluster_url


def test_two_hundred_threads_on_the_cluster_spend_exactly_the_budget(cluster_url: str) -> None:
    ledger = RedisLedger(cluster_url)
    assert isinstance(ledger._client, redis.cluster.RedisCluster)
    admitted = race.race_threads(race.make_enforcer(ledger), CALLERS)
    assert_exact(ledger, admitted)
    ledger.close()


def test_two_hundred_callers_in_eight_processes_on_the_cluster(cluster_url: str) -> None:
    admitted = race_processes(functools.partial(race.redis_ledger, cluster_url))
    assert_exact(race.redis_ledger(cluster_url), admitted)


def test_tenants_spread_over_the_masters_and_keep_their_keys_in_one_slot(
    cluster_url: str,
) -> None:
    ledger = RedisLedger(cluster_url)
    windows = [_window(Period.DAY, 10_000), _window(Period.MONTH, 100_000)]
    tenants = [f"tenant-{n}" for n in range(24)]
    for tenant in tenants:
        ledger.reserve(tenant, "r1", windows, 100, 60)  # holds, expiry and 2 windows
        ledger.settle(tenant, "r1", windows, 70)
        assert ledger.usage(tenant, windows[0]).spent == 70
    client = ledger._client
    assert isinstance(client, redis.cluster.RedisCluster)
    slots: dict[str, set[int]] = {}
    masters = set()
    for node in client.get_nodes():
        for key in client.get_redis_connection(node).keys("*"):
            tenant = key.decode().split("{", 1)[1].split("}", 1)[0]
            slots.setdefault(tenant, set()).add(client.keyslot(key))
            masters.add(node.name)
    assert set(slots) == set(tenants)
    assert all(len(found) == 1 for found in slots.values())
    assert len(masters) == 3
    ledger.close()


def test_wait_replicas_is_refused_for_a_cluster_client(cluster_url: str) -> None:
    with pytest.raises(ValueError, match="single-primary"):
        RedisLedger(cluster_url, wait_replicas=1)
    with pytest.raises(ValueError, match="wait_replicas must be >= 0"):
        RedisLedger("redis://127.0.0.1:1/0", wait_replicas=-1)


# ---------------------------------------------------------------- Sentinel failover

COST = 100
LIMIT = 20 * COST  # 20 calls a day


def _window(period: Period, limit: int) -> BudgetWindow:
    today = dt.date.today()
    return BudgetWindow(period, today, limit, dt.datetime.now(dt.timezone.utc))


@pytest.fixture
def sentinel() -> Iterator[topologies.Sentinel]:
    yield from topologies.start_sentinel()


def _ledger(topology: topologies.Sentinel, wait_replicas: int) -> RedisLedger:
    client = topology.client().master_for(  # type: ignore[attr-defined]
        topologies.SERVICE, socket_timeout=1.0, socket_connect_timeout=1.0
    )
    return RedisLedger(client=client, wait_replicas=wait_replicas, replica_timeout=0.3)


class Books:
    """What the ledger acknowledged to its callers: the truth the ledger must not forget."""

    def __init__(self) -> None:
        self.settled = 0
        self.open_holds = 0
        self.unconfirmed = 0
        self.lock = threading.Lock()

    def call(self, ledger: RedisLedger, tenant: str, windows: list[BudgetWindow]) -> bool:
        rid = uuid.uuid4().hex
        try:
            ledger.reserve(tenant, rid, windows, COST, 300)
        except ReservationRefused:
            return False
        except ReplicationError:
            with self.lock:
                self.unconfirmed += 1
            return False  # not acknowledged: the enforcer refuses the call
        with self.lock:
            self.open_holds += COST
        try:
            ledger.settle(tenant, rid, windows, COST)
        except ReplicationError:
            with self.lock:
                self.unconfirmed += 1
            return True  # the enforcer retries it and keeps it in its outbox; not acked here
        with self.lock:
            self.open_holds -= COST
            self.settled += COST
        return True


def _retry(action: Any) -> Any:
    # A pooled connection to the dead primary, or a sentinel still settling its view of the
    # new one: bounded retries, then the error.
    for _ in range(100):
        try:
            return action()
        except redis.ConnectionError:
            time.sleep(0.1)
    return action()


def _failover_run(topology: topologies.Sentinel, wait_replicas: int) -> dict[str, int]:
    ledger = _ledger(topology, wait_replicas)
    windows = [_window(Period.DAY, LIMIT)]
    tenant = "failover-tenant"
    books = Books()
    before = sum(books.call(ledger, tenant, windows) for _ in range(5))
    # Let the replica catch up before the cut, so "before" is replicated whatever the load:
    # WAIT blocks until one replica has every write so far (bounded by its timeout).
    primary = redis.Redis(port=topology.ports[0])
    assert primary.execute_command("WAIT", 1, 10_000) == 1
    primary.close()
    topology.link.cut()  # from now on the replica receives nothing
    during = sum(books.call(ledger, tenant, windows) for _ in range(5))
    acknowledged_at_failover = books.settled
    old_primary, replica = topology.ports
    topology.kill(old_primary)
    topology.wait_for_primary(replica)
    # The sentinel client follows the failover (its first try may meet a dead connection).
    recovered = _retry(lambda: ledger.usage(tenant, windows[0]))
    # The old primary comes back empty, as the new primary's replica.
    topology.restart_as_replica(old_primary, replica)
    # restart_as_replica waited until the new replica acknowledges writes, so the spending
    # below meets a healthy pair.
    # Keep spending on the new primary until the ledger refuses: what was admitted in all?
    after = 0
    for _ in range(40):
        if not _retry(lambda: books.call(ledger, tenant, windows)):
            break
        after += 1
    ledger.close()
    return {
        "before": before,
        "during": during,
        "after": after,
        "admitted_spend": (before + during + after) * COST,
        "acknowledged_at_failover": acknowledged_at_failover,
        "acknowledged_spend": books.settled,
        "recovered_spent": recovered.spent,
        "recovered_reserved": recovered.reserved,
        "unconfirmed": books.unconfirmed,
    }


def test_without_wait_replicas_a_failover_loses_acknowledged_spend(
    sentinel: topologies.Sentinel,
) -> None:
    """What Redis's asynchronous replication can lose, observed: every settlement and hold
    acknowledged after the replica last heard from the primary, and the budget they used is
    sold again."""
    found = _failover_run(sentinel, wait_replicas=0)
    print("async replication:", found)
    assert found["before"] == 5
    assert found["during"] == 5
    assert found["unconfirmed"] == 0
    lost = found["acknowledged_at_failover"] - found["recovered_spent"]
    assert lost == 5 * COST  # the 5 settlements after the cut are gone
    assert found["admitted_spend"] > LIMIT  # and re-sold: overspend across the failover


def test_with_wait_replicas_nothing_acknowledged_is_lost_and_the_budget_holds(
    sentinel: topologies.Sentinel,
) -> None:
    found = _failover_run(sentinel, wait_replicas=1)
    print("wait_replicas=1:", found)
    assert found["before"] == 5
    assert found["during"] == 0  # nothing the replica lacked was acknowledged...
    assert found["unconfirmed"] == 5
    assert found["recovered_spent"] == found["acknowledged_at_failover"] == 5 * COST
    # ...and nothing acknowledged was lost
    assert found["acknowledged_spend"] == found["admitted_spend"] == LIMIT  # and no overspend
    assert found["after"] == LIMIT // COST - 5


def test_wait_replicas_on_a_healthy_pair_admits_exactly_the_budget(
    sentinel: topologies.Sentinel,
) -> None:
    ledger = _ledger(sentinel, wait_replicas=1)
    windows = [_window(Period.DAY, LIMIT)]
    results: list[Any] = []
    lock = threading.Lock()
    start = threading.Barrier(40)

    def run() -> None:
        start.wait()
        books = Books()
        outcome = books.call(ledger, "healthy", windows)
        with lock:
            results.append((outcome, books.unconfirmed))

    threads = [threading.Thread(target=run) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(outcome for outcome, _ in results) == LIMIT // COST
    assert sum(unconfirmed for _, unconfirmed in results) == 0
    replica = redis.Redis(port=sentinel.ports[1])
    assert int(replica.hget(ledger._window_key("healthy", windows[0]), "spent") or 0) == LIMIT
    replica.close()
    ledger.close()
