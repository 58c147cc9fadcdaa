from __future__ import annotations

import asyncio
import threading

import pytest

from netrun.core import context
from netrun.core.context import (
    TraceContext,
    bind,
    capture,
    correlation_context,
    current_correlation_id,
    current_tenant_id,
    current_trace_context,
    current_user_id,
    get_or_create_correlation_id,
    parse_traceparent,
    restore,
    tenant_context,
    trace_context,
    user_context,
)

VALID_TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_values_are_unset_outside_any_context() -> None:
    assert current_correlation_id() is None
    assert current_tenant_id() is None
    assert current_user_id() is None
    assert current_trace_context() is None


def test_nested_contexts_restore_the_outer_value() -> None:
    with tenant_context("acme") as outer:
        assert outer == "acme"
        with tenant_context("globex"):
            assert current_tenant_id() == "globex"
        assert current_tenant_id() == "acme"
    assert current_tenant_id() is None


def test_outer_value_is_restored_when_the_block_raises() -> None:
    with user_context("u1"):
        with pytest.raises(RuntimeError), user_context("u2"):
            raise RuntimeError("boom")
        assert current_user_id() == "u1"


def test_the_same_binding_can_be_entered_while_already_entered() -> None:
    binding = tenant_context("acme")
    with tenant_context("outer"):
        with binding:
            with binding:
                assert current_tenant_id() == "acme"
            assert current_tenant_id() == "acme"
        assert current_tenant_id() == "outer"


def test_correlation_context_generates_an_id_when_none_is_given() -> None:
    with correlation_context() as first, correlation_context() as second:
        assert len(first) == 32
        assert first != second
        assert current_correlation_id() == second
    with correlation_context("given-id") as given:
        assert given == "given-id"


def test_ids_are_stored_as_strings_and_empty_strings_are_refused() -> None:
    with tenant_context(42):
        assert current_tenant_id() == "42"
    with pytest.raises(ValueError, match="must not be empty"):
        tenant_context("")


def test_none_binds_no_value_inside_a_block() -> None:
    with tenant_context("acme"):
        with tenant_context(None) as value:
            assert value is None
            assert current_tenant_id() is None
        assert current_tenant_id() == "acme"


def test_bind_changes_only_the_values_it_is_given() -> None:
    with correlation_context("c1"), tenant_context("t1"):
        with bind(user_id="u9"):
            assert (current_correlation_id(), current_tenant_id(), current_user_id()) == (
                "c1",
                "t1",
                "u9",
            )
        assert current_user_id() is None


def test_get_or_create_correlation_id_sets_one_once() -> None:
    def run() -> tuple[str, str | None]:
        created = get_or_create_correlation_id()
        return created, current_correlation_id()

    # Run in a copied context so the created value cannot leak into other tests.
    import contextvars

    created, seen = contextvars.copy_context().run(run)
    assert created == seen
    assert current_correlation_id() is None


def test_async_contexts_nest_and_tasks_do_not_leak_into_each_other() -> None:
    async def worker(tenant: str, seen: dict[str, str | None]) -> None:
        async with tenant_context(tenant):
            await asyncio.sleep(0.01)
            seen[tenant] = current_tenant_id()

    async def main() -> dict[str, str | None]:
        seen: dict[str, str | None] = {}
        async with tenant_context("parent"):
            await asyncio.gather(*(worker(f"t{i}", seen) for i in range(20)))
            assert current_tenant_id() == "parent"
        assert current_tenant_id() is None
        return seen

    seen = asyncio.run(main())
    assert seen == {f"t{i}": f"t{i}" for i in range(20)}


def test_cancellation_restores_the_outer_value() -> None:
    async def main() -> str | None:
        started = asyncio.Event()

        async def cancelled() -> None:
            async with tenant_context("inner"):
                started.set()
                await asyncio.sleep(10)

        async with tenant_context("outer"):
            task = asyncio.create_task(cancelled())
            await started.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return current_tenant_id()

    assert asyncio.run(main()) == "outer"


def test_threads_start_with_an_empty_context() -> None:
    seen: list[str | None] = []
    with tenant_context("acme"):
        thread = threading.Thread(target=lambda: seen.append(current_tenant_id()))
        thread.start()
        thread.join()
    assert seen == [None]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (VALID_TRACEPARENT, TraceContext("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", 1)),
        ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-extra", TraceContext("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", 0)),
        (None, None),
        ("", None),
        ("garbage", None),
        ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", None),
        ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", None),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", None),
        ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", None),
        (VALID_TRACEPARENT + "-extra", None),
        ("00-" + "a" * 600, None),
    ],
)  # fmt: skip
def test_parse_traceparent_follows_the_w3c_rules(
    header: str | None, expected: TraceContext | None
) -> None:
    assert parse_traceparent(header) == expected


def test_trace_context_round_trips_through_traceparent() -> None:
    with trace_context() as trace:
        assert trace.sampled
        assert current_trace_context() == trace
        assert parse_traceparent(trace.to_traceparent()) == trace
    unsampled = TraceContext.new(sampled=False)
    assert not unsampled.sampled
    assert unsampled.to_traceparent().endswith("-00")


def test_capture_and_restore_carry_the_context_across_a_boundary() -> None:
    trace = parse_traceparent(VALID_TRACEPARENT)
    with bind(correlation_id="c1", tenant_id="t1", user_id="u1", trace=trace):
        carried = capture()
    assert carried == {
        "correlation_id": "c1",
        "tenant_id": "t1",
        "user_id": "u1",
        "traceparent": VALID_TRACEPARENT,
    }
    assert capture() == {}
    with restore(carried):
        assert (current_correlation_id(), current_tenant_id(), current_user_id()) == (
            "c1",
            "t1",
            "u1",
        )
        assert current_trace_context() == trace
    assert current_tenant_id() is None


def test_restore_never_inherits_values_missing_from_the_carrier() -> None:
    with tenant_context("previous-task-tenant"), user_context("previous-user"):
        with restore({"correlation_id": "c2", "traceparent": "not-a-traceparent"}):
            assert current_tenant_id() is None
            assert current_user_id() is None
            assert current_trace_context() is None
            assert current_correlation_id() == "c2"
        with restore(None):
            assert current_tenant_id() is None


def test_clear_unsets_everything_in_the_current_context() -> None:
    import contextvars

    def run() -> dict[str, str]:
        context.bind(tenant_id="t", user_id="u").__enter__()
        context.clear()
        return capture()

    assert contextvars.copy_context().run(run) == {}


def test_fixture_binds_a_fixed_correlation_id(netrun_correlation_id: str) -> None:
    assert current_correlation_id() == netrun_correlation_id


def test_fixture_binds_a_tenant(netrun_tenant_id: str) -> None:
    assert current_tenant_id() == netrun_tenant_id
