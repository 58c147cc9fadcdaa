"""A loopback stub server per test for the chain's tests (adapters are built by
``tests.llm.adapters.conftest.build``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from netrun.llm.testing import StubLLMServer


@pytest.fixture
def stub() -> Iterator[StubLLMServer]:
    with StubLLMServer(lifetime=60) as server:
        yield server
