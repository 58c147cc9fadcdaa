"""A loopback HTTP server that speaks enough of four LLM APIs for the real SDKs to talk to it.

=================  ===============================================  ==========================
Protocol           Path                                             Point the adapter at
=================  ===============================================  ==========================
OpenAI             ``POST /v1/chat/completions``                    ``server.openai_base_url``
OpenAI Responses   ``POST /v1/responses``                           ``server.openai_base_url``
OpenAI embeddings  ``POST /v1/embeddings``                          ``server.openai_base_url``
Azure OpenAI       ``POST /openai/deployments/<d>/chat/completions``  ``server.azure_endpoint``
Azure embeddings   ``POST /openai/deployments/<d>/embeddings``        ``server.azure_endpoint``
Anthropic          ``POST /v1/messages``                            ``server.anthropic_base_url``
Ollama             ``POST /api/chat``, ``POST /api/embed``          ``server.ollama_base_url``
Gemini             ``POST /v1beta/models/<m>:generateContent``      ``server.gemini_base_url``
                   (``:streamGenerateContent?alt=sse``)
=================  ===============================================  ==========================

Replies are scripted in order (:meth:`StubLLMServer.script`), whatever the protocol; when the
script is empty, :attr:`StubLLMServer.default` answers. A :class:`StubReply` sets the text,
the usage (netrun's four counts, rendered in each protocol's own convention), the status and
headers of an error (429 with ``Retry-After``, 500, 529...), a delay before answering (longer
than the client's timeout to provoke one), a delay between stream chunks, and ``cut_after``
to drop the connection in the middle of a stream, and ``tool_calls`` (:class:`StubToolCall`)
the model makes, in each protocol's own shape, whole or streamed. Every request is recorded
(:attr:`StubLLMServer.requests`) with its JSON body and headers. ``GET /v1/models`` answers
a one-model list in both the OpenAI and the Anthropic shape (recorded too): a call that
costs nothing.

The server binds 127.0.0.1 on a free port, serves from a daemon thread, and stops on
``stop()``, at the end of a ``with`` block, or by itself after ``lifetime`` seconds, so a
forgotten server never outlives a test run. Nothing here imports Django or the SDKs.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from netrun.core import deprecated_aliases
from netrun.llm.testing._handler import StubServer
from netrun.llm.testing.replies import (
    RecordedRequest,
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


class StubLLMServer:
    """A scripted LLM API on loopback; use as a context manager or ``start()`` / ``stop()``."""

    def __init__(self, *, lifetime: float = 300.0, default: StubReply | None = None) -> None:
        self.lifetime = lifetime
        self.default = default or StubReply()
        self.requests: list[RecordedRequest] = []
        self._replies: deque[StubReply] = deque()
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._stopping = threading.Event()
        self._server: StubServer | None = None
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> StubLLMServer:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = StubServer(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="netrun-llm-stub",
            daemon=True,
        )
        self._thread.start()
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port (idempotent)."""
        self._stopping.set()
        server, self._server = self._server, None
        if self._timer is not None and self._timer is not threading.current_thread():
            self._timer.cancel()
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def __enter__(self) -> StubLLMServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ addresses

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the stub server is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    @property
    def azure_endpoint(self) -> str:
        return self.url

    @property
    def ollama_base_url(self) -> str:
        return self.url

    @property
    def gemini_base_url(self) -> str:
        return self.url

    # ------------------------------------------------------------------ script

    def script(self, *replies: StubReply | Iterable[StubReply]) -> StubLLMServer:
        """Queue replies, answered in order by whichever protocol asks next."""
        with self._lock:
            for reply in replies:
                if isinstance(reply, StubReply):
                    self._replies.append(reply)
                else:
                    self._replies.extend(reply)
        return self

    def reply(self, text: str = "Hello from the stub.", **kwargs: Any) -> StubLLMServer:
        return self.script(StubReply(text=text, **kwargs))

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        with self._lock:
            return len(self._replies)

    def clear(self) -> None:
        with self._lock:
            self._replies.clear()
            self.requests.clear()

    def _next_reply(self) -> StubReply:
        with self._lock:
            return self._replies.popleft() if self._replies else self.default

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _request_counter(self) -> int:
        return next(self._counter)


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
