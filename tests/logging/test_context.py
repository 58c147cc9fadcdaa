from __future__ import annotations

import asyncio
import os

from netrun.core.context import bind, correlation_context, user_context
from netrun.logging import (
    bind_context,
    clear_context,
    get_context,
    get_correlation_id,
    get_logger,
    unbind_context,
)
from netrun.logging._context import (
    _new_process_id_after_fork,
    process_correlation_id,
    set_process_correlation_id,
)
from netrun.logging.testing import capture_logs


def test_get_correlation_id_reads_netrun_core() -> None:
    assert get_correlation_id() is None
    with correlation_context("abc") as value:
        assert get_correlation_id() == value == "abc"
    assert get_correlation_id() is None


def test_bound_values_appear_on_every_event_until_unbound() -> None:
    logger = get_logger("tests.context")
    with capture_logs() as logs:
        bind_context(tenant_id="acme", user_id="user123", region="eu")
        logger.info("tenant_operation")
        unbind_context("region", "never-bound")
        logger.info("after_unbind")
        clear_context()
        logger.info("after_clear")
    assert logs[0]["tenant_id"] == "acme"
    assert logs[0]["user_id"] == "user123"
    assert logs[0]["region"] == "eu"
    assert "region" not in logs[1]
    assert logs[1]["tenant_id"] == "acme"
    assert "tenant_id" not in logs[2]
    assert get_context() == {}


def test_explicit_values_win_over_the_netrun_context() -> None:
    with capture_logs() as logs, bind(correlation_id="ctx", user_id="u1"):
        get_logger("tests.context").info("explicit", correlation_id="given")
    assert logs[0]["correlation_id"] == "given"
    assert logs[0]["user_id"] == "u1"


def test_bound_context_does_not_leak_between_asyncio_tasks() -> None:
    logger = get_logger("tests.context")

    async def job(name: str) -> None:
        bind_context(job=name)
        with user_context(name):
            await asyncio.sleep(0)
            logger.info("job_ran")

    async def main() -> None:
        await asyncio.gather(job("a"), job("b"))

    with capture_logs() as logs:
        asyncio.run(main())
    assert sorted((e["job"], e["user_id"]) for e in logs) == [("a", "a"), ("b", "b")]


def test_the_process_correlation_id_is_the_fallback_outside_requests(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NETRUN_CORRELATION_ID", "from-scheduler")
    assert set_process_correlation_id() == "from-scheduler"
    logger = get_logger("tests.context")
    with capture_logs() as logs:
        logger.info("outside")
        with correlation_context("inside"):
            logger.info("inside")
    assert [e["correlation_id"] for e in logs] == ["from-scheduler", "inside"]

    _new_process_id_after_fork()
    assert process_correlation_id() not in (None, "from-scheduler")

    set_process_correlation_id(None)
    with capture_logs() as logs:
        logger.info("none")
    assert "correlation_id" not in logs[0]
    _new_process_id_after_fork()
    assert process_correlation_id() is None
    assert os.environ["NETRUN_CORRELATION_ID"] == "from-scheduler"
