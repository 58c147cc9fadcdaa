"""The loopback stub server itself."""

from __future__ import annotations

import time

import httpx
import pytest

from netrun.llm.testing import StubLLMServer, StubReply


def test_it_binds_loopback_on_a_free_port() -> None:
    with StubLLMServer() as first, StubLLMServer() as second:
        assert first.url.startswith("http://127.0.0.1:")
        assert first.url != second.url
        assert first.running


def test_it_stops_by_itself_after_its_lifetime() -> None:
    server = StubLLMServer(lifetime=0.2).start()
    deadline = time.monotonic() + 5
    while server.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not server.running
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


def test_unknown_paths_are_404_and_scripts_are_consumed_in_order() -> None:
    with StubLLMServer() as server:
        server.script([StubReply("a"), StubReply("b")])
        assert server.pending == 2
        assert httpx.post(f"{server.url}/v2/unknown", json={}).status_code == 404
        assert httpx.get(f"{server.url}/api/tags").json() == {"models": []}
        assert httpx.get(f"{server.url}/nothing").status_code == 404
        assert server.requests == []  # unknown paths are not recorded
        server.clear()
        assert server.pending == 0
        assert server.requests == []
