"""A Redis of the test's own, on a free loopback port, that a test may kill and restart.

Never the shared Redis on 6379: a fault test stops only the server it started.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.auth.conftest import rsa_keys

__all__ = ["OwnRedis", "own_persistent_redis", "own_redis", "rsa_keys"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class OwnRedis:
    """``redis-server`` on 127.0.0.1:<free port>; ``kill()`` and ``start()`` at will.

    Without ``persistent`` it keeps nothing across a restart (``--save "" --appendonly
    no``); with it, an append-only file fsynced on every write, in ``directory``.
    """

    def __init__(self, directory: Path, *, persistent: bool = False) -> None:
        self.port = _free_port()
        self.directory = directory
        self.persistent = persistent
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:  # pragma: no cover - installed in CI and the dev image
            pytest.fail("redis-server is not installed: the fault tests need one of their own")
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
            if self.persistent
            else ["--appendonly", "no", "--save", ""]
        )
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                *persistence,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        try:
            for _ in range(200):
                try:
                    if client.ping():
                        return
                except redis.exceptions.ConnectionError:
                    time.sleep(0.05)
            pytest.fail(f"redis-server on port {self.port} did not start")
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL: the server dies as in a crash, nothing is written on the way out."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def restart(self) -> None:
        self.kill()
        self.start()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    """A Redis without persistence, started for this test and killed after it."""
    server = OwnRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def own_persistent_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    """A Redis with an append-only file (fsync always), started for this test."""
    server = OwnRedis(tmp_path, persistent=True)
    server.start()
    try:
        yield server
    finally:
        server.kill()
