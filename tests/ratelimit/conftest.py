"""Fixtures for the netrun.ratelimit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from netrun.ratelimit import conf as conf_module


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(autouse=True)
def fresh_backends() -> Iterator[None]:
    """Each test gets new backends from the settings, so counts never leak between tests."""
    conf_module._backends.clear()
    yield
    for backend in conf_module._backends.values():
        backend.close()
    conf_module._backends.clear()
