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

import contextlib
import itertools
import json
import re
import socket
import sys
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from netrun.core import deprecated_aliases
from netrun.llm.testing import _wire as wire
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

_OPENAI_ENDPOINTS = ("/v1/responses", "/v1/embeddings")
# GET /v1/models in both SDKs' shapes: each ignores the other's fields.
_MODELS = {
    "object": "list",
    "data": [
        {
            "id": "stub-model",
            "object": "model",
            "created": 0,
            "owned_by": "stub",
            "type": "model",
            "display_name": "Stub model",
            "created_at": "2025-01-01T00:00:00Z",
        }
    ],
    "has_more": False,
    "first_id": "stub-model",
    "last_id": "stub-model",
}

#: Gemini's REST paths; the model is in the path, streaming is a method of its own.
_GEMINI_PATH = re.compile(
    r"^/v1(beta|alpha)?/models/(?P<model>[^/:]+):(?P<method>generateContent|streamGenerateContent)$"
)
_AZURE_PATH = re.compile(
    r"^/openai/deployments/(?P<deployment>[^/]+)/(?P<endpoint>chat/completions|embeddings)$"
)


class _Cut(Exception):
    """The scripted reply drops the connection here."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes on a kept-alive connection: without
    # TCP_NODELAY, Nagle's algorithm meets the client's delayed ACK and adds ~40 ms a call.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        # http.server writes every request to stderr; tests read the recorded requests.
        return

    # ------------------------------------------------------------------ plumbing

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/api/tags":
            self._json(200, {"models": []})
        elif parts.path == "/v1/models":
            self.server.stub._record(
                RecordedRequest(
                    protocol="openai",
                    method="GET",
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={key.lower(): value for key, value in self.headers.items()},
                    body={},
                )
            )
            self._json(200, _MODELS)
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        protocol, deployment = self._protocol(parts.path)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        if protocol is None:
            self._json(404, {"error": {"message": "unknown path", "type": "not_found"}})
            return
        stub = self.server.stub
        stub._record(
            RecordedRequest(
                protocol=protocol,
                method="POST",
                path=parts.path,
                query=parse_qs(parts.query),
                headers={key.lower(): value for key, value in self.headers.items()},
                body=body if isinstance(body, dict) else {},
                deployment=deployment,
            )
        )
        reply = stub._next_reply()
        if reply.delay and stub._stopping.wait(reply.delay):
            return
        try:
            if reply.status >= 400:
                self._error(protocol, reply)
            elif protocol == "gemini" and parts.path.endswith(":streamGenerateContent"):
                self._stream(protocol, reply, {**body, "model": deployment})
            elif protocol == "gemini":
                self._whole(protocol, reply, {**body, "model": deployment})
            elif body.get("stream") if isinstance(body, dict) else False:
                self._stream(protocol, reply, body)
            else:
                self._whole(protocol, reply, body)
        except (_Cut, BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    @staticmethod
    def _protocol(path: str) -> tuple[WireProtocol | None, str | None]:
        if path in ("/v1/chat/completions", "/chat/completions", *_OPENAI_ENDPOINTS):
            return "openai", None
        match = _AZURE_PATH.match(path)
        if match:
            return "azure_openai", match["deployment"]
        if path == "/v1/messages":
            return "anthropic", None
        if path in ("/api/chat", "/api/embed"):
            return "ollama", None
        match = _GEMINI_PATH.match(path)
        if match:  # the model, in the path, rides in the deployment's place
            return "gemini", match["model"]
        return None, None

    def _json(self, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _start_stream(self, content_type: str, headers: Mapping[str, str]) -> None:
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("transfer-encoding", "chunked")
        self.send_header("cache-control", "no-cache")
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _cut(self) -> None:
        # No terminating chunk: the client sees the body end mid-message, as when a proxy
        # or the provider drops the connection.
        self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
        raise _Cut

    def _pace(self, reply: StubReply, sent: int) -> None:
        if reply.cut_after is not None and sent >= reply.cut_after:
            self._cut()
        if reply.chunk_delay and self.server.stub._stopping.wait(reply.chunk_delay):
            self._cut()

    def _request_headers(self, protocol: WireProtocol, reply: StubReply) -> dict[str, str]:
        request_id = f"req_stub_{self.server.stub._request_counter()}"
        headers = {"x-request-id": request_id} if protocol != "anthropic" else {}
        if protocol == "anthropic":
            headers["request-id"] = request_id
        if protocol == "azure_openai":
            headers["apim-request-id"] = request_id
        return {**headers, **reply.headers}

    # ------------------------------------------------------------------ answers

    def _error(self, protocol: WireProtocol, reply: StubReply) -> None:
        headers = self._request_headers(protocol, reply)
        message = reply.error_message or f"stub error {reply.status}"
        if protocol == "anthropic":
            kind = reply.error_type or {
                429: "rate_limit_error",
                401: "authentication_error",
                400: "invalid_request_error",
                529: "overloaded_error",
            }.get(reply.status, "api_error")
            payload: Any = {"type": "error", "error": {"type": kind, "message": message}}
        elif protocol == "ollama":
            payload = {"error": message}
        elif protocol == "gemini":
            status = reply.error_type or {
                429: "RESOURCE_EXHAUSTED",
                401: "UNAUTHENTICATED",
                403: "PERMISSION_DENIED",
                400: "INVALID_ARGUMENT",
                503: "UNAVAILABLE",
            }.get(reply.status, "INTERNAL")
            payload = {"error": {"code": reply.status, "message": message, "status": status}}
        else:
            kind = reply.error_type or ("rate_limit_exceeded" if reply.status == 429 else "error")
            error = {"message": message, "type": kind, "param": None, "code": reply.error_code}
            payload = {"error": error}
        self._json(reply.status, payload, headers)

    def _model(self, reply: StubReply, body: Mapping[str, Any], deployment: str | None) -> str:
        return reply.model or deployment or str(body.get("model") or "stub-model")

    def _whole(self, protocol: WireProtocol, reply: StubReply, body: Mapping[str, Any]) -> None:
        headers = self._request_headers(protocol, reply)
        model = self._model(reply, body, None)
        endpoint = urlsplit(self.path).path
        if endpoint == "/v1/embeddings" or endpoint.endswith("/embeddings"):
            payload = wire.embeddings(body, model, reply.usage)
        elif endpoint == "/api/embed":
            payload = wire.ollama_embed(body, model, reply.usage)
        elif endpoint == "/v1/responses":
            payload = wire.response(reply, model, "completed")
        elif protocol == "anthropic":
            payload = wire.anthropic_message(reply, model)
        elif protocol == "ollama":
            payload = wire.ollama_chat(reply, model)
        elif protocol == "gemini":
            # Gemini's request id is the response's responseId.
            payload = wire.gemini_content(reply, model, headers.get("x-request-id", ""))
        else:
            payload = wire.openai_chat(reply, model)
        self._json(200, payload, headers)

    def _stream(self, protocol: WireProtocol, reply: StubReply, body: Mapping[str, Any]) -> None:
        headers = self._request_headers(protocol, reply)
        model = self._model(reply, body, None)
        content_type = "text/event-stream"
        if urlsplit(self.path).path == "/v1/responses":
            events = wire.responses_stream(reply, model)
        elif protocol == "anthropic":
            events = wire.anthropic_stream(reply, model)
        elif protocol == "ollama":
            events, content_type = wire.ollama_stream(reply, model), "application/x-ndjson"
        elif protocol == "gemini":
            events = wire.gemini_stream(reply, model, headers.get("x-request-id", ""))
        else:
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            events = wire.openai_stream(reply, model, include_usage)
        self._start_stream(content_type, headers)
        for item in events:
            if isinstance(item, wire.Pace):
                self._pace(reply, item.sent)
            elif content_type == "application/x-ndjson":
                self._chunk(json.dumps(item[1]).encode() + b"\n")
            else:
                self._sse(*item)
        self._end_stream()

    def _sse(self, event: str | None, data: Any) -> None:
        prefix = f"event: {event}\n" if event else ""
        payload = data if isinstance(data, str) else json.dumps(data)
        self._chunk(f"{prefix}data: {payload}\n\n".encode())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Hundreds of callers connect at once in the concurrency tests; the default backlog (5)
    # resets the connections it has no room for.
    request_queue_size = 512
    # Handler threads may sleep through a scripted delay; never wait for them on close.
    block_on_close = False

    def __init__(self, stub: StubLLMServer) -> None:
        self.stub = stub
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up on a kept-alive connection (its pool closing, a stream
        # abandoned) is no error of the stub's: no traceback on stderr for it.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


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
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> StubLLMServer:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(self)
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
