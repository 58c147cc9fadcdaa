"""``Closing`` closes at the end of a ``with`` block; ``AsyncWithSupport`` adds ``async with``."""

from __future__ import annotations

import asyncio

import pytest

from netrun.core.blocks import AsyncWithSupport, Closing


class Resource(Closing):
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def test_a_closing_object_is_given_to_the_block_and_closed_after_it() -> None:
    resource = Resource()
    with resource as given:
        assert given is resource
        assert resource.closed == 0
    assert resource.closed == 1


def test_a_closing_object_is_closed_when_the_block_raises() -> None:
    resource = Resource()
    with pytest.raises(RuntimeError), resource:
        raise RuntimeError("boom")
    assert resource.closed == 1


class Recorder(AsyncWithSupport):
    def __init__(self) -> None:
        self.calls: list[object] = []

    def __enter__(self) -> str:
        self.calls.append("enter")
        return "value"

    def __exit__(self, *exc_info: object) -> None:
        self.calls.append(exc_info[0])


def test_async_with_runs_the_sync_enter_and_exit_with_the_exception() -> None:
    recorder = Recorder()

    async def use() -> None:
        async with recorder as value:
            assert value == "value"
        with pytest.raises(KeyError):
            async with recorder:
                raise KeyError("x")

    asyncio.run(use())
    assert recorder.calls == ["enter", None, "enter", KeyError]
