"""The offline development provider: deterministic, and says what it is everywhere."""

from __future__ import annotations

import asyncio

from netrun.llm.adapters import OFFLINE_PREFIX, OfflineAdapter
from netrun.logging.testing import capture_logs


def test_answers_are_deterministic_and_labelled() -> None:
    adapter = OfflineAdapter()
    first = adapter.chat("What is our refund policy?")
    second = OfflineAdapter().chat("What is our refund policy?")
    other = adapter.chat("Something else entirely")
    assert first.text == second.text
    assert first.text != other.text
    assert first.text.startswith(OFFLINE_PREFIX)
    assert first.provider == "offline"
    assert first.usage.estimated is True
    assert first.usage.output_tokens > 0
    assert first.request_id == second.request_id


def test_every_log_line_says_it_is_offline() -> None:
    with capture_logs() as logs:
        OfflineAdapter().chat("secret prompt words")
        list(OfflineAdapter().stream("x"))
    assert logs
    for entry in logs:
        assert entry["offline"] is True
        assert "offline development provider" in entry["note"]
        assert "secret prompt words" not in str(entry)


def test_streams_sync_and_async_give_the_same_text() -> None:
    adapter = OfflineAdapter()
    whole = adapter.chat("hello").text
    stream = adapter.stream("hello")
    assert "".join(chunk.text for chunk in stream) == whole
    assert stream.response is not None
    assert stream.response.usage.output_tokens > 0

    async def consume() -> str:
        return "".join([chunk.text async for chunk in adapter.astream("hello")])

    assert asyncio.run(consume()) == whole
    assert asyncio.run(adapter.achat("hello")).text == whole


def test_max_tokens_cuts_the_answer_with_finish_reason_length() -> None:
    response = OfflineAdapter().chat("hello", max_tokens=5)
    assert len(response.text) == 20
    assert response.finish_reason == "length"
    assert OfflineAdapter().map_error(RuntimeError("x")) is None
