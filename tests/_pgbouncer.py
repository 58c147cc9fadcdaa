"""A PgBouncer of the test's own: loopback, a free port, a temp dir, stopped by the test.

Debian's ``pgbouncer`` binary is run as a child process (never the system service). It
refuses to run as root, so as root it gets ``-u postgres`` and a directory that user owns.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = ["PgBouncer", "free_port"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgBouncer:
    """``PgBouncer(upstream_port, users, pool_mode="transaction", pool_size=2)``."""

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
        import psycopg

        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        self.port = free_port()
        config = self._write_config()
        command = [binary, str(config)]
        if os.geteuid() == 0:
            command[1:1] = ["-u", "postgres"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # SIGTERM: immediate shutdown (SIGINT pauses first, waiting for every client).
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process is not None and self.process.stderr:
            self.process.stderr.close()
        self.process = None
        shutil.rmtree(self.directory, ignore_errors=True)
