"""Rate-limit reset, the LLM stub server and the telemetry sink."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from netrun.llm.telemetry import track_request
from netrun.ratelimit.conf import get_backend


def _hit_twice(limit: int = 1) -> list[bool]:
    backend = get_backend()
    return [backend.hit("user:ada", limit, 60, 1).allowed for _ in range(2)]


def test_ratelimit_reset_gives_fresh_counters(netrun_ratelimit_reset: Any) -> None:
    assert _hit_twice() == [True, False]
    netrun_ratelimit_reset()
    assert _hit_twice() == [True, False]


def test_counters_do_not_leak_into_the_next_test(netrun_ratelimit_reset: Any) -> None:
    assert _hit_twice() == [True, False]


def test_llm_stub_answers_openai_chat_completions(netrun_llm_stub: Any) -> None:
    netrun_llm_stub.reply("scripted answer")
    request = urllib.request.Request(  # noqa: S310 - loopback stub URL
        f"{netrun_llm_stub.openai_base_url}/chat/completions",
        data=json.dumps(
            {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
        ).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer sk-test"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        body = json.loads(response.read())
    assert body["choices"][0]["message"]["content"] == "scripted answer"
    assert len(netrun_llm_stub.requests) == 1
    assert netrun_llm_stub.url.startswith("http://127.0.0.1:")


def test_telemetry_sink_receives_what_the_default_collector_tracks(
    netrun_telemetry_sink: Any, netrun_tenant_id: str
) -> None:
    with track_request(provider="openai", model="gpt-4o-mini") as tracker:
        tracker.set_tokens(input_tokens=12, output_tokens=3)
    [record] = netrun_telemetry_sink.records
    assert (record.provider, record.input_tokens, record.tenant_id) == (
        "openai",
        12,
        netrun_tenant_id,
    )
    netrun_telemetry_sink.clear()
    assert netrun_telemetry_sink.records == []
