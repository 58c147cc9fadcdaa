"""A PgBouncer of the test's own: loopback only, a free port, a temp dir, stopped by the test.

Debian's ``pgbouncer`` binary runs as a child process (never the system service), listening
on 127.0.0.1 and no Unix socket. It refuses to run as root, so as root the child switches to
``postgres`` (which owns the temp dir) before it runs the binary. It also asks the kernel for
SIGTERM when the test process dies, so a killed test run leaves no PgBouncer behind.

Used by ``tests/rbac_rls/`` (the RLS attack suite and the concurrency tests) and
``tests/example/`` (the example project's PostgreSQL tests and its outage test), through
:func:`running_pgbouncer`.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests._require import unavailable

__all__ = ["PgBouncer", "free_port", "running_pgbouncer"]

_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _binary() -> str:
    found = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(found).exists():
        unavailable("pgbouncer", "not installed: apt-get install -y pgbouncer (.ci/run does)")
    return found


def _die_with(parent: int) -> Callable[[], None]:
    """A ``preexec_fn``: SIGTERM the child when ``parent`` dies (Linux ``PR_SET_PDEATHSIG``).

    It runs after the switch to ``postgres``: a change of user would clear the setting.
    """
    libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None

    def arm() -> None:
        if libc is None:
            return
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return arm


class PgBouncer:
    """``PgBouncer(users=[...], pool_mode="transaction", pool_size=2)``; ``start()``, ``stop()``."""

    def __init__(
        self,
        *,
        upstream_host: str = "127.0.0.1",
        upstream_port: int = 5432,
        users: list[str],
        pool_mode: str = "transaction",
        pool_size: int = 2,
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.users = users
        self.pool_mode = pool_mode
        self.pool_size = pool_size
        self.port = 0
        self.directory = Path(tempfile.mkdtemp(prefix="netrun-pgbouncer-"))
        self.process: subprocess.Popen[bytes] | None = None

    def dsn(self, user: str, database: str) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def logins(self, user: str, database: str) -> int:
        """How many client logins of ``user`` to ``database`` this PgBouncer has logged."""
        log = (self.directory / "pgbouncer.log").read_text()
        return log.count(f"login attempt: db={database} user={user} ")

    def _write_config(self) -> Path:
        users = self.directory / "users.txt"
        users.write_text("".join(f'"{user}" ""\n' for user in self.users))
        config = self.directory / "pgbouncer.ini"
        host, port = self.upstream
        config.write_text(
            "[databases]\n"
            f"* = host={host} port={port}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            "unix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {users}\n"
            f"pool_mode = {self.pool_mode}\n"
            f"default_pool_size = {self.pool_size}\n"
            "max_client_conn = 500\n"
            f"logfile = {self.directory / 'pgbouncer.log'}\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
        )
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
            for path in self.directory.iterdir():
                shutil.chown(path, "postgres")
        return config

    def start(self, timeout: float = 15.0) -> None:
        """Start on a free port, or on the port of the previous start (a restart)."""
        import psycopg

        self.port = self.port or free_port()
        command = [_binary(), str(self._write_config())]
        user = "postgres" if os.geteuid() == 0 else None
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            user=user,
            group=user,
            extra_groups=[] if user else None,
            preexec_fn=_die_with(os.getpid()),
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                stderr = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"pgbouncer exited: {stderr}")
            try:
                with psycopg.connect(
                    self.dsn(self.users[0], "postgres"), connect_timeout=2, autocommit=True
                ) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.Error:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.1)

    def halt(self) -> None:
        """Stop the process (SIGTERM: immediate shutdown, every client cut); keep the port."""
        if self.process is not None and self.process.poll() is None:
            # SIGINT would pause first, waiting for every client; SIGTERM does not.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process is not None and self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def stop(self) -> None:
        """Stop the process and remove its directory."""
        self.halt()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextmanager
def running_pgbouncer(
    users: list[str], *, pool_mode: str = "transaction", pool_size: int = 2
) -> Iterator[PgBouncer]:
    """A started :class:`PgBouncer` in front of the PostgreSQL on 127.0.0.1:5432."""
    bouncer = PgBouncer(users=users, pool_mode=pool_mode, pool_size=pool_size)
    try:
        bouncer.start()
        yield bouncer
    finally:
        bouncer.stop()
