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

from typing import TYPE_CHECKING

from netrun.core import deprecated_aliases
from netrun.llm.testing.stub import (
    RecordedRequest,
    StubLLMServer,
    StubReply,
    StubToolCall,
    StubUsage,
    WireProtocol,
)

__all__ = [
    "RecordedRequest",
    "StubLLMServer",
    "StubReply",
    "StubToolCall",
    "StubUsage",
    "WireProtocol",
]


# Renamed in 2.1 (one name, one meaning); the old names warn until 3.0.
if TYPE_CHECKING:
    Protocol = WireProtocol
else:
    __getattr__ = deprecated_aliases(
        __name__,
        {
            "Protocol": "WireProtocol",
        },
    )
