"""Redis topologies of a test's own: a 3-master Redis Cluster and a Sentinel-managed
primary/replica pair, each on free loopback ports in a temporary directory, without
persistence, and killed at teardown.

Used by ``tests/ratelimit/test_redis_cluster.py`` and
``tests/llm/policy/ledgers/test_redis_cluster.py`` (fixtures ``redis_cluster_url`` and
``redis_sentinel``, registered by those modules).
"""

from __future__ import annotations

import contextlib
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests._require import require_module, unavailable

__all__ = ["LinkProxy", "Sentinel", "free_port", "start_cluster", "start_sentinel"]

SERVICE = "netrun-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is free and valid too."""
    while True:
        port = free_port()
        if port + 10000 <= 65535 and _bindable(port + 10000):
            return port
        port = random.randint(20000, 50000)
        if _bindable(port) and _bindable(port + 10000):
            return port


def _binaries() -> tuple[str, str]:
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if not server or not cli:
        unavailable("redis-server / redis-cli", "apt-get install redis-server")
    return server, cli


def _wait_until(check: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except Exception as error:  # the server is still starting
            last = error
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not come up in {timeout}s (last error: {last!r})")


def _server(server: str, port: int, workdir: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.kill()
    for process in processes:
        process.wait(timeout=10)


def _ping(port: int) -> bool:
    redis = require_module("redis")
    client = redis.Redis(port=port, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    finally:
        client.close()


def start_cluster() -> Iterator[str]:
    """A 3-master cluster (no replicas); yields ``redis+cluster://127.0.0.1:<first port>``."""
    server, cli = _binaries()
    redis = require_module("redis")
    workdir = Path(tempfile.mkdtemp(prefix="netrun-cluster-"))
    ports = [cluster_port() for _ in range(3)]
    processes = [
        _server(
            server,
            port,
            workdir,
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            str(workdir / f"nodes-{port}.conf"),
            "--cluster-node-timeout",
            "2000",
        )
        for port in ports
    ]
    try:
        for port in ports:
            _wait_until(lambda port=port: _ping(port), f"cluster node on {port}")
        subprocess.run(
            [
                cli,
                "--cluster",
                "create",
                *(f"127.0.0.1:{p}" for p in ports),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )

        def ready() -> bool:
            for port in ports:
                client = redis.Redis(port=port)
                try:
                    info = client.cluster("info")
                finally:
                    client.close()
                if info.get("cluster_state") != "ok" or int(info["cluster_known_nodes"]) != 3:
                    return False
            return True

        _wait_until(ready, "the cluster")
        yield f"redis+cluster://127.0.0.1:{ports[0]}"
    finally:
        _stop(processes)
        shutil.rmtree(workdir, ignore_errors=True)


class LinkProxy:
    """A TCP relay on loopback for the replication link (replica -> proxy -> primary).

    :meth:`cut` makes the link drop what the primary sends from then on, as a network that
    stops delivering: the replica keeps believing it is in sync, and every write after the
    cut exists on the primary only. That is the window Redis's asynchronous replication
    leaves open, made wide enough to observe.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = int(self.listener.getsockname()[1])
        self.delivering = threading.Event()
        self.delivering.set()
        self._sockets: list[socket.socket] = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        self.delivering.clear()

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self.listener.accept()
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                return  # closed
            self._sockets += [downstream, upstream]
            # primary -> replica may be cut; replica -> primary (acks) always flows
            threading.Thread(
                target=self._pump, args=(upstream, downstream, True), daemon=True
            ).start()
            threading.Thread(
                target=self._pump, args=(downstream, upstream, False), daemon=True
            ).start()

    def _pump(self, source: socket.socket, sink: socket.socket, cuttable: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if cuttable and not self.delivering.is_set():
                    continue
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()


@dataclass
class Sentinel:
    """A primary, its replica, and one sentinel watching them (quorum 1)."""

    sentinel_port: int
    ports: list[int]
    link: LinkProxy
    server: str
    workdir: Path
    processes: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)

    def restart_as_replica(self, port: int, primary: int) -> None:
        """Start the (killed, empty) server on ``port`` again as a replica of ``primary`` and
        wait until the link is up.

        It starts as a replica, as an operator brings a failed primary back: left to the
        sentinel, the conversion waits on the sentinel's own timers (it must see the
        instance up for a while, reporting the wrong role) and took over a minute on a
        loaded machine."""
        self.processes[port] = _server(
            self.server, port, self.workdir, "--replicaof", "127.0.0.1", str(primary)
        )
        _wait_until(lambda: _replica_linked(primary, port), f"the replica on {port}", 60)
        _wait_until(lambda: _replica_acknowledges(primary), f"the replica on {port}'s ACK", 60)

    def wait_for_primary(self, port: int, timeout: float = 60.0) -> None:
        """Wait until the sentinel names ``port`` the primary and it accepts writes."""
        redis = require_module("redis")

        def promoted() -> bool:
            if self.primary_port() != port:
                return False
            client = redis.Redis(port=port)
            try:
                return bool(client.info("replication")["role"] == "master")
            finally:
                client.close()

        _wait_until(promoted, f"the failover to {port}", timeout)

    def client(self) -> object:
        redis = require_module("redis")
        return redis.sentinel.Sentinel(
            [("127.0.0.1", self.sentinel_port)], socket_timeout=1.0, socket_connect_timeout=1.0
        )

    def primary_port(self) -> int:
        redis = require_module("redis")
        sentinel = redis.Redis(port=self.sentinel_port)
        try:
            _host, port = sentinel.sentinel_get_master_addr_by_name(SERVICE)
        finally:
            sentinel.close()
        return int(port)

    def kill(self, port: int) -> None:
        """SIGKILL the server on ``port``: no goodbye, as a crashed host."""
        self.processes[port].kill()
        self.processes[port].wait(timeout=10)


def _replica_linked(primary: int, replica: int) -> bool:
    redis = require_module("redis")
    client = redis.Redis(port=replica)
    try:
        info = client.info("replication")
    finally:
        client.close()
    return bool(info.get("master_link_status") == "up" and info.get("master_port") == primary)


def _replica_acknowledges(primary: int) -> bool:
    """Whether a replica acknowledges a write on ``primary`` within a second: a link that is
    up is not enough, as a replica's first ACK can lag it on a loaded machine (and WAIT,
    which a ledger with ``wait_replicas`` runs, counts ACKs)."""
    redis = require_module("redis")
    client = redis.Redis(port=primary)
    try:
        client.set("netrun-test:replica-sync", 1)  # a write of this connection to wait on
        return int(client.execute_command("WAIT", 1, 1000)) >= 1
    finally:
        client.close()


def start_sentinel() -> Iterator[Sentinel]:
    """Primary and replica on free ports, one sentinel (down after 1 s) monitoring them."""
    server, _cli = _binaries()
    require_module("redis")
    import redis.sentinel  # noqa: F401 - makes redis.sentinel reachable for Sentinel.client

    workdir = Path(tempfile.mkdtemp(prefix="netrun-sentinel-"))
    primary, replica, sentinel_port = free_port(), free_port(), free_port()
    link = LinkProxy(primary)
    topology = Sentinel(sentinel_port, [primary, replica], link, server, workdir)
    try:
        topology.processes[primary] = _server(server, primary, workdir)
        _wait_until(lambda: _ping(primary), "the primary")
        # The replica reaches its primary through the proxy, so a test can cut the link.
        topology.processes[replica] = _server(
            server, replica, workdir, "--replicaof", "127.0.0.1", str(link.port)
        )
        _wait_until(lambda: _replica_linked(link.port, replica), "the replica")
        _wait_until(lambda: _replica_acknowledges(primary), "the replica's ACK", 60)
        conf = workdir / "sentinel.conf"
        conf.write_text(
            f"port {sentinel_port}\nbind 127.0.0.1\ndir {workdir}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {primary} 1\n"
            f"sentinel down-after-milliseconds {SERVICE} 1000\n"
            # Long: a sentinel "repairs" a replica whose primary address differs from the one
            # it monitors (ours names the proxy) once this has passed.
            f"sentinel failover-timeout {SERVICE} 120000\n"
            f"sentinel parallel-syncs {SERVICE} 1\n"
        )
        topology.processes[sentinel_port] = subprocess.Popen(
            [server, str(conf), "--sentinel"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def sentinel_sees_replica() -> bool:
            import redis as redis_module

            client = redis_module.Redis(port=sentinel_port)
            try:
                return len(client.sentinel_slaves(SERVICE)) == 1
            finally:
                client.close()

        _wait_until(sentinel_sees_replica, "the sentinel")
        yield topology
    finally:
        _stop(list(topology.processes.values()))
        link.close()
        shutil.rmtree(workdir, ignore_errors=True)
