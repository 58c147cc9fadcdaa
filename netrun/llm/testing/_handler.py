"""The stub server's HTTP side: which protocol a path speaks, and each answer on the wire.

:class:`_Handler` records every request, takes the next scripted reply of its
:class:`~netrun.llm.testing.stub.StubLLMServer` and renders it (whole, streamed, an error, a
cut) through :mod:`netrun.llm.testing._wire` and :mod:`netrun.llm.testing._wire_openai`.
Nothing here imports Django or the SDKs.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from netrun.llm.testing import _wire as wire
from netrun.llm.testing import _wire_openai as wire_openai
from netrun.llm.testing.replies import RecordedRequest, StubReply, WireProtocol

if TYPE_CHECKING:
    from netrun.llm.testing.stub import StubLLMServer

__all__ = ["StubServer"]

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
    server: StubServer

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
            payload = wire_openai.embeddings(body, model, reply.usage)
        elif endpoint == "/api/embed":
            payload = wire_openai.ollama_embed(body, model, reply.usage)
        elif endpoint == "/v1/responses":
            payload = wire_openai.response(reply, model, "completed")
        elif protocol == "anthropic":
            payload = wire.anthropic_message(reply, model)
        elif protocol == "ollama":
            payload = wire.ollama_chat(reply, model)
        elif protocol == "gemini":
            # Gemini's request id is the response's responseId.
            payload = wire.gemini_content(reply, model, headers.get("x-request-id", ""))
        else:
            payload = wire_openai.openai_chat(reply, model)
        self._json(200, payload, headers)

    def _stream(self, protocol: WireProtocol, reply: StubReply, body: Mapping[str, Any]) -> None:
        headers = self._request_headers(protocol, reply)
        model = self._model(reply, body, None)
        content_type = "text/event-stream"
        if urlsplit(self.path).path == "/v1/responses":
            events = wire_openai.responses_stream(reply, model)
        elif protocol == "anthropic":
            events = wire.anthropic_stream(reply, model)
        elif protocol == "ollama":
            events, content_type = wire.ollama_stream(reply, model), "application/x-ndjson"
        elif protocol == "gemini":
            events = wire.gemini_stream(reply, model, headers.get("x-request-id", ""))
        else:
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            events = wire_openai.openai_stream(reply, model, include_usage)
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


class StubServer(ThreadingHTTPServer):
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
