"""The processes of the load run, each on 127.0.0.1 and each stopped by the run.

A database of the run's own with an owner and an app role (as ``tests/example/conftest.py``
makes them), a PgBouncer in transaction mode, a Redis, the example project under gunicorn
(4 sync workers) and uvicorn, and a Celery worker on the shared RabbitMQ. PgBouncer and Redis
restart on the same port, so the app servers reconnect to them after a fault.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

__all__ = [
    "ROOT",
    "Database",
    "ManagedProcess",
    "PgBouncer",
    "Redis",
    "free_port",
    "wait_http",
]

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
SUPERUSER_DSN = os.environ.get("LOADTEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float = 60.0, process: ManagedProcess | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                response.read()
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def _execute(dsn: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement.encode())  # built from generated names only


class Database:
    """A fresh database, an owner role (migrates) and an app role (serves, under RLS)."""

    def __init__(self) -> None:
        suffix = uuid.uuid4().hex[:10]
        self.name = f"netrun_load_{suffix}"
        self.owner = f"load_owner_{suffix}"
        self.app = f"load_app_{suffix}"
        base, _, _ = SUPERUSER_DSN.rpartition("/")
        self.admin_dsn = f"{base}/{self.name}"

    def url(self, role: str, port: int = 5432) -> str:
        return f"postgres://{role}@127.0.0.1:{port}/{self.name}"

    def create(self) -> None:
        owner, app = self.owner, self.app
        _execute(
            SUPERUSER_DSN,
            f"CREATE ROLE {owner} LOGIN NOSUPERUSER NOBYPASSRLS",
            f"CREATE ROLE {app} LOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT",
            f"CREATE DATABASE {self.name}",
        )
        _execute(
            self.admin_dsn,
            f"ALTER SCHEMA public OWNER TO {owner}",
            f"GRANT USAGE ON SCHEMA public TO {app}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            f"GRANT USAGE, SELECT ON SEQUENCES TO {app}",
        )

    def drop(self) -> None:
        _execute(
            SUPERUSER_DSN,
            f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)",
            f"DROP ROLE IF EXISTS {self.app}",
            f"DROP ROLE IF EXISTS {self.owner}",
        )


class ManagedProcess:
    """A child process in its own process group, its output in a log file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ManagedProcess:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def children(self) -> list[int]:
        """PIDs of the direct children (gunicorn's workers, Celery's pool processes)."""
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL to the whole group: no shutdown handler runs (a crash, an OOM kill)."""
        if self.alive():
            os.killpg(self.pid, signal.SIGKILL)
            assert self.process is not None
            self.process.wait(10)

    def stop(self, timeout: float = 15.0) -> None:
        if not self.alive():
            self.process = None
            return
        assert self.process is not None
        os.killpg(self.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None


class Redis(ManagedProcess):
    """A Redis of the run's own: no persistence, so a kill loses everything it held."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        command = [
            binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
            "--appendonly", "no", "--dir", str(directory), "--protected-mode", "yes",
        ]  # fmt: skip
        super().__init__("redis", command, dict(os.environ), directory / "redis.log")

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> Redis:
        super().start()
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port)
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                if time.monotonic() > deadline or not self.alive():
                    raise
                time.sleep(0.05)


class PgBouncer(ManagedProcess):
    """Debian's pgbouncer in transaction mode (as ``tests/_pgbouncer.py`` runs it).

    It refuses to run as root, so as root it runs as ``postgres`` in a directory that user
    owns. SIGTERM is an immediate shutdown; ``start`` again reuses the port.
    """

    def __init__(self, directory: Path, users: list[str], pool_size: int) -> None:
        self.port = free_port()
        self.directory = directory / "pgbouncer"
        self.directory.mkdir()
        users_file = self.directory / "users.txt"
        users_file.write_text("".join(f'"{user}" ""\n' for user in users))
        config = self.directory / "pgbouncer.ini"
        config.write_text(
            "[databases]\n* = host=127.0.0.1 port=5432\n[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {users_file}\npool_mode = transaction\n"
            f"default_pool_size = {pool_size}\nmax_client_conn = 1000\n"
            f"logfile = {self.directory / 'pgbouncer.log'}\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
        )
        self.probe_user = users[0]
        command = [shutil.which("pgbouncer") or "/usr/sbin/pgbouncer", str(config)]
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
            for path in self.directory.iterdir():
                shutil.chown(path, "postgres")
            command[1:1] = ["-u", "postgres"]
        super().__init__("pgbouncer", command, dict(os.environ), directory / "pgbouncer.out")

    def start(self) -> PgBouncer:
        import psycopg

        super().start()
        deadline = time.monotonic() + 15
        dsn = f"postgresql://{self.probe_user}@127.0.0.1:{self.port}/postgres"
        while True:
            try:
                with psycopg.connect(dsn, connect_timeout=2, autocommit=True) as conn:
                    conn.execute("SELECT 1")
                return self
            except psycopg.Error:
                if time.monotonic() > deadline or not self.alive():
                    raise RuntimeError(f"pgbouncer did not start:\n{self.tail()}") from None
                time.sleep(0.1)


def tempdir() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="netrun-load-"))
    directory.chmod(0o711)  # PgBouncer runs as postgres when we are root: let it reach its dir
    return directory


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def bin_path(name: str) -> str:
    return str(VENV_BIN / name)


def environment(**values: Any) -> dict[str, str]:
    """The parent's environment without variables the example would pick up by accident."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "APP_", "DATABASE_", "CELERY_", "LLM_", "API_RATE_"))
        and k not in ("CACHE_URL", "REDIS_URL", "PYTHONPATH")
    }
    return {**base, **{k: str(v) for k, v in values.items()}}
