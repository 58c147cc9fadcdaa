"""@tenant_task with a real worker on Redis: the publisher's tenant, never another task's."""

from __future__ import annotations

from typing import Any

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker

from netrun.core.context import current_tenant_id
from netrun.errors import TenantContextMissingError
from netrun.rbac.celery import TENANT_HEADER, TenantTask, tenant_task
from netrun.rbac.context import TenantTestContext
from tests.rbac.conftest import World
from tests.rbac.testapp.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def celery_app(redis_url: str) -> Celery:
    app = Celery("netrun_rbac_tests", broker=redis_url, backend=redis_url, set_as_current=False)
    app.conf.update(
        worker_hijack_root_logger=False,
        task_always_eager=False,
        broker_connection_retry_on_startup=False,
        result_expires=60,
    )

    @tenant_task(app=app, name="tests.rbac.titles")
    def titles() -> dict[str, Any]:
        return {
            "tenant": current_tenant_id(),
            "titles": list(Ticket.objects.values_list("title", flat=True)),
        }

    @app.task(base=TenantTask, name="tests.rbac.steal", tenant_required=False)
    def steal(ticket_id: int) -> str:
        try:
            return Ticket.objects.get(pk=ticket_id).title
        except Ticket.DoesNotExist:
            return "not found"
        except TenantContextMissingError:
            return "no tenant"

    return app


def test_a_real_worker_runs_each_task_in_its_publishers_tenant(
    celery_app: Celery, world: World
) -> None:
    titles = celery_app.tasks["tests.rbac.titles"]
    steal = celery_app.tasks["tests.rbac.steal"]
    with start_worker(celery_app, pool="solo", perform_ping_check=False):
        with TenantTestContext(world.a):
            first = titles.delay().get(timeout=20)
        with TenantTestContext(world.b):
            second = titles.delay().get(timeout=20)
            stolen = steal.delay(world.a_ticket.pk).get(timeout=20)
        explicit = titles.apply_async(tenant_id=str(world.b.pk)).get(timeout=20)
        without = steal.delay(world.a_ticket.pk).get(timeout=20)
        missing = titles.delay()
        with pytest.raises(TenantContextMissingError, match="needs a tenant"):
            missing.get(timeout=20)
    assert first == {"tenant": str(world.a.pk), "titles": ["A secret"]}
    assert second == {"tenant": str(world.b.pk), "titles": ["B ticket"]}
    assert stolen == "not found"
    assert explicit["titles"] == ["B ticket"]
    assert without == "no tenant"
    assert current_tenant_id() is None


def test_eager_and_direct_calls_use_the_callers_tenant(world: World) -> None:
    app = Celery("netrun_rbac_eager", set_as_current=False)
    app.conf.task_always_eager = True

    @tenant_task(app=app)
    def count() -> int:
        return Ticket.objects.count()

    with TenantTestContext(world.a):
        assert count.delay().get() == 1
        assert count() == 1
    with pytest.raises(TenantContextMissingError):
        count.delay().get()


def test_publishing_writes_the_tenant_header() -> None:
    task = TenantTask()
    sent: dict[str, Any] = {}

    class Recorder(TenantTask):  # type: ignore[misc]
        name = "recorder"

    def fake_apply_async(self: Any, *args: Any, **options: Any) -> None:
        sent.update(options)

    original = TenantTask.__mro__[1].apply_async
    try:
        TenantTask.__mro__[1].apply_async = fake_apply_async
        with TenantTestContext("t-1"):
            Recorder().apply_async((), {})
    finally:
        TenantTask.__mro__[1].apply_async = original
    assert sent["headers"] == {TENANT_HEADER: "t-1"}
    assert task.tenant_required


def test_shared_task_form() -> None:
    @tenant_task
    def plain() -> None:
        return None

    @tenant_task(name="tests.rbac.named")
    def named() -> None:
        return None

    assert isinstance(plain, TenantTask)
    assert named.name == "tests.rbac.named"
