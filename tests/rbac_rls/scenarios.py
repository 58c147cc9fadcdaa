"""Scenarios run as the app role: ``python -m tests.rbac_rls.scenarios NAME [NAME ...]``.

Each prints ``PASS <name>`` or fails with an assertion. They read with raw SQL or
``all_tenants`` on purpose: what they prove is that the database, not the ORM, isolates.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections.abc import Callable

import django

django.setup()

from asgiref.sync import sync_to_async  # noqa: E402
from django.db import (  # noqa: E402
    IntegrityError,
    close_old_connections,
    connection,
    connections,
    transaction,
)
from django.test import AsyncClient, Client  # noqa: E402

from netrun.core.context import tenant_context  # noqa: E402
from netrun.errors import TenantAccessDeniedError  # noqa: E402
from netrun.rbac.db import cross_tenant  # noqa: E402
from netrun.rbac.models import Tenant  # noqa: E402
from netrun.rbac.scope import unscoped  # noqa: E402
from tests.rbac_rls.rlsapp.models import Label, Project  # noqa: E402

#: Through a transaction pooler each transaction may run on another server process.
POOLER = os.environ.get("NETRUN_RLS_POOLER") == "1"

A = "00000000-0000-0000-0000-00000000000a"
B = "00000000-0000-0000-0000-00000000000b"

SCENARIOS: dict[str, Callable[[], None]] = {}


def scenario(fn: Callable[[], None]) -> Callable[[], None]:
    SCENARIOS[fn.__name__] = fn
    return fn


def count(table: str = "rlsapp_project") -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - test constants
        return int(cursor.fetchone()[0])


def setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('netrun.tenant_id', true)")
        return str(cursor.fetchone()[0])


def pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def raises_denied(fn: Callable[[], object]) -> None:
    try:
        fn()
    except TenantAccessDeniedError:
        return
    raise AssertionError("expected TenantAccessDeniedError")


@scenario
def seed() -> None:
    """Tenant A: two projects, two labels, links; tenant B: one of each."""
    Tenant.objects.bulk_create([Tenant(id=A, slug="a", name="A"), Tenant(id=B, slug="b", name="B")])
    for tenant, n in ((A, 2), (B, 1)):
        with tenant_context(tenant):
            labels = [Label.objects.create(name=f"l{i}") for i in range(n)]
            for i in range(n):
                project = Project.objects.create(title=f"p{i}")
                project.labels.set(labels)
    assert count() == 0, "no tenant bound, no rows"


@scenario
def requests() -> None:
    client = Client()
    first = client.get("/count/", {"tenant": A}).json()
    second = client.get("/count/").json()
    assert first["rows"] == 2, first
    assert (second["rows"], second["setting"]) == (0, ""), (first, second)
    assert POOLER or second["pid"] == first["pid"], (first, second)
    third = client.get("/count/", {"tenant": B}).json()
    assert third["rows"] == 1, third


@scenario
def async_requests() -> None:
    async def run() -> None:
        client = AsyncClient()
        first = (await client.get("/acount/", {"tenant": A})).json()
        second = (await client.get("/acount/")).json()
        assert first["rows"] == 2, first
        assert second["rows"] == 0, second
        assert second["setting"] == "", second
        with tenant_context(B):
            assert await Project.all_tenants.acount() == 1
        assert await sync_to_async(count)() == 0

    asyncio.run(run())


@scenario
def tasks() -> None:
    """Celery's Django fixup calls close_old_connections around each task."""
    pids = set()
    for tenant, expected in ((A, 2), (None, 0), (B, 1), (None, 0)):
        close_old_connections()  # task_prerun
        if tenant:
            with tenant_context(tenant):
                assert count() == expected
        else:
            assert count() == expected
        pids.add(pid())
        close_old_connections()  # task_postrun
    assert POOLER or len(pids) == 1, pids


@scenario
def failed_transaction() -> None:
    with tenant_context(A):
        assert count() == 2  # A written outside a transaction
    with tenant_context(B):
        try:
            with transaction.atomic():
                assert count() == 1  # B written inside the transaction...
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        # ...and undone by its rollback: the server holds A again, so B is rewritten.
        assert count() == 1
    assert count() == 0
    with tenant_context(A), transaction.atomic():
        assert count() == 2
        with tenant_context(B):
            try:
                with transaction.atomic():
                    assert count() == 1
                    raise RuntimeError("boom")
            except RuntimeError:
                pass
        assert count() == 2
    try:
        with tenant_context(A), transaction.atomic():
            assert count() == 2
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1/0")
    except Exception as error:
        failed = str(error)
    else:
        failed = ""
    assert "division by zero" in failed
    assert count() == 0
    assert setting() == ""


@scenario
def writes_into_other_tenant() -> None:
    with tenant_context(A):
        cursor_sql = "INSERT INTO rlsapp_project (tenant_id, title) VALUES (%s, 'x')"

        def insert() -> None:
            with connection.cursor() as cursor:
                cursor.execute(cursor_sql, [B])

        raises_denied(insert)

        def move() -> None:
            with connection.cursor() as cursor:
                cursor.execute("UPDATE rlsapp_project SET tenant_id = %s", [B])

        raises_denied(move)

        def orm_create() -> None:
            with unscoped(reason="test: the database is the wall here"):
                Project.all_tenants.create(title="x", tenant_id=B)

        raises_denied(orm_create)
        # Another tenant's rows are invisible to UPDATE and DELETE: nothing happens.
        with connection.cursor() as cursor:
            cursor.execute("UPDATE rlsapp_project SET title = 'y' WHERE tenant_id = %s", [B])
            assert cursor.rowcount == 0
        assert count() == 2


@scenario
def m2m() -> None:
    through = "rlsapp_project_labels"
    assert count(through) == 0
    with tenant_context(A):
        assert count(through) == 4
        project = Project.objects.first()
    with tenant_context(B):
        assert count(through) == 1
        other_label = Label.objects.get()

    def link() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {through} (project_id, label_id) VALUES (%s, %s)",  # noqa: S608
                [project.pk, other_label.pk],
            )

    with tenant_context(A):
        raises_denied(link)


@scenario
def cross_tenant_context() -> None:
    with cross_tenant(reason="test: totals across tenants"):
        assert count() == 3
        assert count("rlsapp_project_labels") == 5
    assert count() == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user = session_user")
        assert cursor.fetchone()[0]
    with transaction.atomic():
        with cross_tenant(reason="test: nested"):
            assert count() == 3
        assert count() == 0  # RESET ROLE at the block's end, not the transaction's


@scenario
def nested_integrity_error() -> None:
    """Issue 21: an error in an inner atomic block is recovered as on Django's backend."""
    for tenant in (A, None):
        with tenant_context(tenant), transaction.atomic():
            before = count()
            try:
                with transaction.atomic():
                    Tenant.objects.create(slug="a", name="duplicate")
            except IntegrityError:
                pass
            assert not connection.needs_rollback
            assert count() == before  # the next query runs, with the tenant still applied
        # Switching tenant right after the failed savepoint: written after the rollback.
        with tenant_context(A), transaction.atomic():
            with tenant_context(B):
                try:
                    with transaction.atomic():
                        assert count() == 1
                        Tenant.objects.create(slug="b", name="duplicate")
                except IntegrityError:
                    pass
            assert not connection.needs_rollback
            assert count() == 2


def _lock_waiters() -> int:
    with connections["owner"].cursor() as cursor:
        # pg_locks is read afresh by every query (pg_stat_activity is a per-transaction
        # snapshot, and hides other roles' wait events).
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return int(cursor.fetchone()[0])


@scenario
def get_or_create_race() -> None:
    """Issue 21: the loser of a get_or_create race gets the winner's row, not an error."""
    slug = f"race-{time.monotonic_ns()}"
    inserted = threading.Event()
    result: dict[str, object] = {}

    def winner() -> None:
        try:
            with transaction.atomic():
                Tenant.objects.create(slug=slug, name="winner")
                inserted.set()
                deadline = time.monotonic() + 20
                # Commit once the loser's INSERT waits on the unique index.
                while _lock_waiters() == 0 and time.monotonic() < deadline:
                    time.sleep(0.02)
        finally:
            inserted.set()
            connection.close()

    def loser() -> None:
        inserted.wait(20)
        try:
            with tenant_context(A), transaction.atomic():
                obj, created = Tenant.objects.get_or_create(slug=slug, defaults={"name": "loser"})
                result.update(name=obj.name, created=created, rows=count())
                result["needs_rollback"] = connection.needs_rollback
        except Exception as error:  # reported below, with its class
            result["error"] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=winner), threading.Thread(target=loser)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert result == {"name": "winner", "created": False, "rows": 2, "needs_rollback": False}, (
        result
    )


def raw_session_setting() -> str:
    """The setting as the server session holds it, read past the backend's wrappers."""
    connection.ensure_connection()
    row = connection.connection.execute(
        "SELECT coalesce(current_setting('netrun.tenant_id', true), '')"
    ).fetchone()
    connection.connection.rollback()  # the read began a transaction in atomic mode
    return str(row[0])


@scenario
def transaction_scope() -> None:
    """NETRUN_RBAC_TENANT_SCOPE = "transaction": the value lives and dies with each
    transaction; savepoints and nested blocks keep it; the session never holds one."""
    assert connection.settings_dict["ENGINE"] == "netrun.rbac.db.backends.postgresql"
    with tenant_context(A):
        assert count() == 2  # an autocommit statement, wrapped in a transaction of its own
        assert setting() == A
    assert raw_session_setting() == ""  # nothing was written at session level
    with tenant_context(A), transaction.atomic():
        assert count() == 2
        try:
            with transaction.atomic():
                assert count() == 2
                Tenant.objects.create(slug="a", name="duplicate")
        except IntegrityError:
            pass
        assert count() == 2  # the savepoint's rollback kept the transaction's tenant
        with tenant_context(B):
            try:
                with transaction.atomic():
                    assert count() == 1  # written again inside the savepoint...
                    raise RuntimeError("boom")
            except RuntimeError:
                pass
        assert count() == 2  # ...and A is back after its rollback
        with tenant_context(B):
            assert count() == 1  # a switch inside the transaction is written there
        assert count() == 2
    assert count() == 0  # the next transaction starts with no tenant
    with transaction.atomic():
        assert count() == 0
        with tenant_context(B):
            assert count() == 1
    with tenant_context(B):
        try:
            with transaction.atomic():
                assert count() == 1
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1/0")
        except Exception as error:
            failed = str(error)
        else:
            failed = ""
        assert "division by zero" in failed
        assert count() == 1  # the rollback lost nothing the next transaction needs
        created = Project.objects.create(title="tx")  # autocommit write, committed
    with tenant_context(B):
        assert count() == 2
        Project.objects.filter(pk=created.pk).delete()
    assert raw_session_setting() == ""


def main(names: list[str]) -> None:
    for name in names:
        SCENARIOS[name]()
        # Between scenarios, as at a request's end: returns a pooled connection.
        close_old_connections()
        sys.stdout.write(f"PASS {name}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
