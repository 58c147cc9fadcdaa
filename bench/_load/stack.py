"""The whole stack of the load run, started in order and stopped in reverse."""

from __future__ import annotations

import json
import secrets
import shutil
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from _load.services import (
    ROOT,
    Database,
    ManagedProcess,
    PgBouncer,
    Redis,
    bin_path,
    environment,
    free_port,
    run_manage,
    tempdir,
    wait_http,
)

__all__ = ["RESULTS_REDIS", "Stack", "StackOptions"]

#: Celery results go to the shared Redis, in a database index of the load run's own (the
#: run's own Redis is the one that gets killed).
RESULTS_REDIS = "redis://127.0.0.1:6379/12"
PASSWORD = "load-run-" + secrets.token_urlsafe(12)

# Runs inside the example project as the app role: N agents per demo tenant (one password
# hash, set once: logging in is what costs, not creating), printed as JSON.
SEED = """
import json, os
from django.contrib.auth import get_user_model
from example_project.helpdesk.models import Ticket
from netrun.rbac.context import BackgroundTaskTenantContext
from netrun.rbac.models import Membership, Tenant
User = get_user_model()
hashed = None
out = {}
for tenant in Tenant.objects.filter(slug__in=["acme", "globex"]):
    with BackgroundTaskTenantContext(tenant.pk):
        welcome = Ticket.objects.get().title
    names = []
    for n in range(int(os.environ["LOADTEST_ACCOUNTS"])):
        user = User(username=f"load-{tenant.slug}-{n}")
        if hashed is None:
            user.set_password(os.environ["LOADTEST_PASSWORD"])
            hashed = user.password
        else:
            user.password = hashed
        user.save()
        Membership.objects.create(user=user, tenant=tenant, role="agent")
        names.append(user.username)
    out[tenant.slug] = {"id": str(tenant.pk), "users": names, "welcome": welcome}
print(json.dumps(out))
"""


@dataclass(frozen=True)
class StackOptions:
    accounts: int = 10  # member accounts per tenant
    pool_size: int = 10  # PgBouncer server connections per (database, role)
    gunicorn_workers: int = 4
    celery_concurrency: int = 2
    llm_delay: float = 0.1  # seconds the stub takes per answer
    rate_user: str = "600/m"
    tenant_scope: str = "transaction"  # what PgBouncer in transaction mode needs


def _rsa_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


class Stack:
    """``with Stack(options) as stack:`` everything up; on exit everything down, dir removed."""

    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.directory = tempdir()
        self.database = Database()
        self.queue = f"netrun-load-{uuid.uuid4().hex[:8]}"
        self.tenants: dict[str, dict[str, Any]] = {}
        self._exit = ExitStack()

    # ------------------------------------------------------------------ start

    def __enter__(self) -> Stack:
        try:
            self._start()
        except BaseException:
            self._exit.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._exit.close()

    def _start(self) -> None:
        from netrun.llm.testing.stub import StubLLMServer, StubReply

        self._exit.callback(shutil.rmtree, self.directory, True)
        self.database.create()
        self._exit.callback(self.database.drop)

        self.stub = StubLLMServer(
            lifetime=24 * 3600,
            default=StubReply(text="A short summary of the ticket.", delay=self.options.llm_delay),
        ).start()
        self._exit.callback(self.stub.stop)

        self.redis = Redis(self.directory).start()
        self._exit.callback(self.redis.stop)
        self.pgbouncer = PgBouncer(
            self.directory, [self.database.app, self.database.owner], self.options.pool_size
        ).start()
        self._exit.callback(self.pgbouncer.stop)

        db, bouncer = self.database, self.pgbouncer.port
        self.env = environment(
            APP_ENVIRONMENT="production",
            DJANGO_SETTINGS_MODULE="_load.settings",
            PYTHONPATH=f"{ROOT}:{ROOT / 'bench'}",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL_REDIRECT="false",
            DATABASE_URL=db.url(db.app, bouncer),
            DATABASE_OWNER_URL=db.url(db.owner, bouncer),
            DB_TENANT_SCOPE=self.options.tenant_scope,
            CACHE_URL=self.redis.url(1),
            REDIS_URL=self.redis.url(0),
            CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:5672//",
            LOADTEST_QUEUE=self.queue,
            LOADTEST_RESULT_BACKEND=RESULTS_REDIS,
            AUTH_JWT_PRIVATE_KEY=_rsa_key(),
            LLM_PROVIDER_CHAIN="openai",
            LLM_LOCAL_PROVIDER="",
            OPENAI_API_KEY="sk-load-run-stub",
            LLM_OPENAI_BASE_URL=self.stub.openai_base_url,
            LLM_MAX_RETRIES=0,
            LLM_TIMEOUT=20,
            API_RATE_USER=self.options.rate_user,
            API_RATE_TENANT="100000/m",
            API_RATE_LOGIN="100000/m",
            LOG_JSON="true",
            DJANGO_LOG_LEVEL="WARNING",
            LOADTEST_ACCOUNTS=self.options.accounts,
            LOADTEST_PASSWORD=PASSWORD,
        )
        # Migrating and seeding go straight to PostgreSQL (session scope); serving goes
        # through PgBouncer in transaction mode.
        direct = {
            **self.env,
            "DATABASE_URL": db.url(db.app),
            "DATABASE_OWNER_URL": db.url(db.owner),
            "DB_TENANT_SCOPE": "session",
        }
        run_manage("migrate", "--database", "owner", "--no-input", env=direct)
        run_manage("seed_demo", env=direct)
        seeded = run_manage("shell", "-c", SEED, env=direct).stdout.strip().splitlines()[-1]
        self.tenants = json.loads(seeded)

        self.gunicorn = self._process(
            "gunicorn",
            [
                bin_path("gunicorn"),
                "example_project.wsgi:application",
                "--workers",
                str(self.options.gunicorn_workers),
                "--bind",
                f"127.0.0.1:{free_port()}",
                "--timeout",
                "90",
                "--graceful-timeout",
                "5",
                "--backlog",
                "2048",
            ],
        )
        self.uvicorn = self._process(
            "uvicorn",
            [
                bin_path("uvicorn"),
                "example_project.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(free_port()),
                "--no-access-log",
                "--lifespan",
                "off",
                "--timeout-keep-alive",
                "30",
                "--timeout-graceful-shutdown",
                "5",
            ],
        )
        # Registered before the worker's stop, so it runs after it: the run's queue goes too.
        self._exit.callback(self._delete_queue)
        self.celery = self._process("celery", self.celery_command())
        self.servers = {
            "gunicorn": f"http://127.0.0.1:{self._port(self.gunicorn)}",
            "uvicorn": f"http://127.0.0.1:{self._port(self.uvicorn)}",
        }
        for name, url in self.servers.items():
            wait_http(f"{url}/health/", process=getattr(self, name))
        self.wait_celery_ready()

    def _delete_queue(self) -> None:
        from kombu import Connection

        with Connection(self.env["CELERY_BROKER_URL"], connect_timeout=5) as conn:
            conn.default_channel.queue_delete(self.queue)

    def celery_command(self) -> list[str]:
        return [
            bin_path("celery"), "-A", "example_project", "worker",
            "--pool", "prefork", "--concurrency", str(self.options.celery_concurrency),
            "--queues", self.queue, "--loglevel", "INFO", "--without-gossip",
            "--without-mingle", "--hostname", f"{self.queue}@%h",
        ]  # fmt: skip

    def wait_celery_ready(self, timeout: float = 60.0, after: int = 0) -> None:
        """Wait for the worker's ``ready.`` line (the ``after``-th one after a restart)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.celery.alive():
                raise RuntimeError(f"celery exited:\n{self.celery.tail()}")
            if self.celery.log.read_text(errors="replace").count(" ready.") > after:
                return
            time.sleep(0.25)
        raise RuntimeError(f"celery did not become ready:\n{self.celery.tail()}")

    def _process(self, name: str, command: list[str]) -> ManagedProcess:
        process = ManagedProcess(name, command, self.env, self.directory / f"{name}.log")
        process.start()
        self._exit.callback(process.stop)
        return process

    @staticmethod
    def _port(process: ManagedProcess) -> int:
        flag = "--bind" if "--bind" in process.command else "--port"
        value = process.command[process.command.index(flag) + 1]
        return int(value.rsplit(":", 1)[-1])

    # ------------------------------------------------------------------ helpers

    def members(self) -> list[tuple[str, str, str, str]]:
        return [
            (slug, info["id"], username, info["welcome"])
            for slug, info in sorted(self.tenants.items())
            for username in info["users"]
        ]

    def set_daily_budget(self, extra_usd: Decimal) -> dict[str, int]:
        """Each tenant's daily budget becomes what it spent today plus ``extra_usd``.

        Returns the budgets in micro-dollars by tenant slug.
        """
        import psycopg

        budgets: dict[str, int] = {}
        with psycopg.connect(self.database.admin_dsn, autocommit=True) as conn:
            for slug, info in self.tenants.items():
                row = conn.execute(
                    "SELECT coalesce(max(spent_micros + reserved_micros), 0) "
                    "FROM netrun_llm_budget_spend WHERE tenant_id = %s AND period = 'day'",
                    [info["id"]],
                ).fetchone()
                used = int(row[0]) if row else 0
                # The policy keeps 4 decimal places (100 micro-dollars): round up to one.
                budget = -(-used // 100) * 100 + int(extra_usd * 1_000_000)
                conn.execute(
                    "UPDATE netrun_llm_tenant_policy SET daily_budget_usd = %s, "
                    "monthly_budget_usd = NULL, require_reason = true WHERE tenant_id = %s",
                    [Decimal(budget) / 1_000_000, info["id"]],
                )
                budgets[slug] = budget
        return budgets

    def logs(self) -> Path:
        return self.directory
