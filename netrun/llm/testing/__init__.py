"""Test helpers for code that calls LLMs: a loopback stub server the real SDKs can talk to.

::

    from netrun.llm.adapters import OpenAIAdapter
    from netrun.llm.testing import StubLLMServer, StubReply

    def test_retries_after_a_429() -> None:
        with StubLLMServer() as server:
            server.script(StubReply.rate_limited(retry_after=1), StubReply(text="hi"))
            adapter = OpenAIAdapter(api_key="sk-test", base_url=server.openai_base_url)
            ...

Point an adapter's ``base_url`` (or Azure ``endpoint``) at the server; never patch the SDKs'
HTTP stack. Framework-neutral: no Django import.
"""

from __future__ import annotations

from netrun.llm.testing.stub import (
    Protocol,
    RecordedRequest,
    StubLLMServer,
    StubReply,
    StubUsage,
)

__all__ = ["Protocol", "RecordedRequest", "StubLLMServer", "StubReply", "StubUsage"]
