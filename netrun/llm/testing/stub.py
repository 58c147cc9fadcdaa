"""A loopback HTTP server that speaks enough of four LLM APIs for the real SDKs to talk to it.

=================  ===============================================  ==========================
Protocol           Path                                             Point the adapter at
=================  ===============================================  ==========================
OpenAI             ``POST /v1/chat/completions``                    ``server.openai_base_url``
OpenAI Responses   ``POST /v1/responses``                           ``server.openai_base_url``
OpenAI embeddings  ``POST /v1/embeddings``                          ``server.openai_base_url``
Azure OpenAI       ``POST /openai/deployments/<d>/chat/completions``  ``server.azure_endpoint``
Anthropic          ``POST /v1/messages``                            ``server.anthropic_base_url``
Ollama             ``POST /api/chat``                               ``server.ollama_base_url``
=================  ===============================================  ==========================

Replies are scripted in order (:meth:`StubLLMServer.script`), whatever the protocol; when the
script is empty, :attr:`StubLLMServer.default` answers. A :class:`StubReply` sets the text,
the usage (netrun's four counts, rendered in each protocol's own convention), the status and
headers of an error (429 with ``Retry-After``, 500, 529...), a delay before answering (longer
than the client's timeout to provoke one), a delay between stream chunks, and ``cut_after``
to drop the connection in the middle of a stream. Every request is recorded
(:attr:`StubLLMServer.requests`) with its JSON body and headers. ``GET /v1/models`` answers
a one-model list in both the OpenAI and the Anthropic shape (recorded too): a call that
costs nothing.

The server binds 127.0.0.1 on a free port, serves from a daemon thread, and stops on
``stop()``, at the end of a ``with`` block, or by itself after ``lifetime`` seconds, so a
forgotten server never outlives a test run. Nothing here imports Django or the SDKs.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import re
import socket
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, urlsplit

from netrun.core import deprecated_aliases

__all__ = ["RecordedRequest", "StubLLMServer", "StubReply", "StubUsage", "WireProtocol"]

WireProtocol = Literal["openai", "azure_openai", "anthropic", "ollama"]

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

_AZURE_PATH = re.compile(r"^/openai/deployments/(?P<deployment>[^/]+)/chat/completions$")


@dataclass(frozen=True)
class StubUsage:
    """Token counts in netrun's convention; each protocol renders them its own way."""

    input_tokens: int = 12
    output_tokens: int = 7
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass
class StubReply:
    """One scripted answer. ``finish_reason=None`` means the protocol's normal one."""

    text: str = "Hello from the stub."
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunk_delay: float = 0.0
    usage: StubUsage = field(default_factory=StubUsage)
    finish_reason: str | None = None
    cut_after: int | None = None
    model: str | None = None
    error_type: str | None = None
    #: OpenAI's ``error.code`` (``context_length_exceeded``...) and the error's message.
    error_code: str | None = None
    error_message: str | None = None

    @classmethod
    def rate_limited(cls, retry_after: float | None = 1, **kwargs: Any) -> StubReply:
        headers = {} if retry_after is None else {"retry-after": f"{retry_after:g}"}
        return cls(status=429, headers=headers, **kwargs)

    @classmethod
    def server_error(cls, status: int = 500, **kwargs: Any) -> StubReply:
        return cls(status=status, **kwargs)

    @classmethod
    def context_window_exceeded(cls, **kwargs: Any) -> StubReply:
        """The 400 each provider sends for a prompt longer than the model's context window:
        OpenAI's ``context_length_exceeded`` code, Anthropic's "prompt is too long"."""
        return cls(
            status=400,
            error_type="invalid_request_error",
            error_code="context_length_exceeded",
            error_message="prompt is too long: 210000 tokens > 200000 maximum (This model's "
            "maximum context length is 200000 tokens.)",
            **kwargs,
        )

    @classmethod
    def overloaded(cls, **kwargs: Any) -> StubReply:
        """Anthropic's 529 ``overloaded_error``."""
        return cls(status=529, error_type="overloaded_error", **kwargs)


@dataclass(frozen=True)
class RecordedRequest:
    protocol: Protocol
    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: Mapping[str, Any]
    #: Azure's deployment name from the URL, else ``None``.
    deployment: str | None = None


def _pieces(text: str) -> list[str]:
    # Words with the whitespace that follows them: joining the pieces gives the text back.
    return re.findall(r"\s*\S+\s*", text) or ([text] if text else [])


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
        if path == "/api/chat":
            return "ollama", None
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
        usage = reply.usage
        endpoint = urlsplit(self.path).path
        if endpoint == "/v1/embeddings":
            payload: dict[str, Any] = _embeddings(body, model, usage)
        elif endpoint == "/v1/responses":
            payload = _response(reply, model, "completed")
        elif protocol == "anthropic":
            payload = {
                "id": "msg_stub",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": reply.text}],
                "stop_reason": reply.finish_reason or "end_turn",
                "stop_sequence": None,
                "usage": _anthropic_usage(usage),
            }
        elif protocol == "ollama":
            payload = {
                "model": model,
                "created_at": "2025-01-01T00:00:00Z",
                "message": {"role": "assistant", "content": reply.text},
                "done": True,
                "done_reason": reply.finish_reason or "stop",
                **_ollama_usage(usage),
            }
        else:
            payload = {
                "id": "chatcmpl-stub",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply.text},
                        "finish_reason": reply.finish_reason or "stop",
                        "logprobs": None,
                    }
                ],
                "usage": _openai_usage(usage),
            }
        self._json(200, payload, headers)

    def _stream(self, protocol: WireProtocol, reply: StubReply, body: Mapping[str, Any]) -> None:
        headers = self._request_headers(protocol, reply)
        model = self._model(reply, body, None)
        pieces = _pieces(reply.text)
        if urlsplit(self.path).path == "/v1/responses":
            self._responses_stream(reply, model, pieces, headers)
        elif protocol == "anthropic":
            self._anthropic_stream(reply, model, pieces, headers)
        elif protocol == "ollama":
            self._ollama_stream(reply, model, pieces, headers)
        else:
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            self._openai_stream(reply, model, pieces, headers, include_usage)

    def _sse(self, data: Any, event: str | None = None) -> None:
        prefix = f"event: {event}\n" if event else ""
        payload = data if isinstance(data, str) else json.dumps(data)
        self._chunk(f"{prefix}data: {payload}\n\n".encode())

    def _openai_stream(
        self,
        reply: StubReply,
        model: str,
        pieces: list[str],
        headers: Mapping[str, str],
        include_usage: bool,
    ) -> None:
        self._start_stream("text/event-stream", headers)
        base = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": 0}
        for sent, piece in enumerate(pieces):
            self._pace(reply, sent)
            delta = {"content": piece, **({"role": "assistant"} if sent == 0 else {})}
            choice = {"index": 0, "delta": delta, "finish_reason": None}
            self._sse({**base, "model": model, "choices": [choice]})
        self._pace(reply, len(pieces))
        finish = {"index": 0, "delta": {}, "finish_reason": reply.finish_reason or "stop"}
        self._sse({**base, "model": model, "choices": [finish]})
        if include_usage:
            usage = _openai_usage(reply.usage)
            self._sse({**base, "model": model, "choices": [], "usage": usage})
        self._sse("[DONE]")
        self._end_stream()

    def _responses_stream(
        self, reply: StubReply, model: str, pieces: list[str], headers: Mapping[str, str]
    ) -> None:
        self._start_stream("text/event-stream", headers)
        sequence = itertools.count()
        created = {"response": _response(reply, model, "in_progress"), "type": "response.created"}
        self._sse({**created, "sequence_number": next(sequence)}, "response.created")
        for sent, piece in enumerate(pieces):
            self._pace(reply, sent)
            delta = {
                "type": "response.output_text.delta",
                "item_id": "msg_stub",
                "output_index": 0,
                "content_index": 0,
                "delta": piece,
                "logprobs": [],
                "sequence_number": next(sequence),
            }
            self._sse(delta, "response.output_text.delta")
        self._pace(reply, len(pieces))
        done = {"type": "response.completed", "response": _response(reply, model, "completed")}
        self._sse({**done, "sequence_number": next(sequence)}, "response.completed")
        self._end_stream()

    def _anthropic_stream(
        self, reply: StubReply, model: str, pieces: list[str], headers: Mapping[str, str]
    ) -> None:
        self._start_stream("text/event-stream", headers)
        start_usage = {**_anthropic_usage(reply.usage), "output_tokens": 1}
        message: dict[str, Any] = {
            "id": "msg_stub",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": start_usage,
        }
        self._sse({"type": "message_start", "message": message}, "message_start")
        block = {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}  # fmt: skip
        self._sse(block, "content_block_start")
        self._sse({"type": "ping"}, "ping")
        for sent, piece in enumerate(pieces):
            self._pace(reply, sent)
            delta = {"type": "text_delta", "text": piece}
            self._sse(
                {"type": "content_block_delta", "index": 0, "delta": delta}, "content_block_delta"
            )
        self._pace(reply, len(pieces))
        self._sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
        end = {"stop_reason": reply.finish_reason or "end_turn", "stop_sequence": None}
        delta_usage = {"output_tokens": reply.usage.output_tokens}
        self._sse({"type": "message_delta", "delta": end, "usage": delta_usage}, "message_delta")
        self._sse({"type": "message_stop"}, "message_stop")
        self._end_stream()

    def _ollama_stream(
        self, reply: StubReply, model: str, pieces: list[str], headers: Mapping[str, str]
    ) -> None:
        self._start_stream("application/x-ndjson", headers)
        for sent, piece in enumerate(pieces):
            self._pace(reply, sent)
            line = {
                "model": model,
                "message": {"role": "assistant", "content": piece},
                "done": False,
            }
            self._chunk(json.dumps(line).encode() + b"\n")
        self._pace(reply, len(pieces))
        last = {
            "model": model,
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": reply.finish_reason or "stop",
            **_ollama_usage(reply.usage),
        }
        self._chunk(json.dumps(last).encode() + b"\n")
        self._end_stream()


def _openai_usage(usage: StubUsage) -> dict[str, Any]:
    # OpenAI counts cached tokens inside prompt_tokens.
    prompt = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
    return {
        "prompt_tokens": prompt,
        "completion_tokens": usage.output_tokens,
        "total_tokens": prompt + usage.output_tokens,
        "prompt_tokens_details": {
            "cached_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
        },
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def _responses_usage(usage: StubUsage) -> dict[str, Any]:
    # The Responses API counts cached tokens inside input_tokens, like chat's prompt_tokens.
    prompt = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": usage.cache_read_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": prompt + usage.output_tokens,
    }


def _response(reply: StubReply, model: str, status: str) -> dict[str, Any]:
    """A Responses API ``response`` object: the whole text once completed."""
    done = status == "completed"
    text = {"type": "output_text", "text": reply.text, "annotations": [], "logprobs": []}
    message = {
        "type": "message",
        "id": "msg_stub",
        "status": "completed",
        "role": "assistant",
        "content": [text],
    }
    return {
        "id": "resp_stub",
        "object": "response",
        "created_at": 0,
        "model": model,
        "status": status,
        "output": [message] if done else [],
        "usage": _responses_usage(reply.usage) if done else None,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "temperature": None,
        "top_p": None,
    }


def _embeddings(body: Mapping[str, Any], model: str, usage: StubUsage) -> dict[str, Any]:
    """One 8-dimension vector per input, base64 float32 when asked (the SDK's default)."""
    inputs = body.get("input")
    count = len(inputs) if isinstance(inputs, list) and not isinstance(inputs[0], int) else 1
    encoded = body.get("encoding_format") == "base64"
    data = []
    for index in range(count):
        vector = [float(index + 1) / (dim + 1) for dim in range(8)]
        packed = base64.b64encode(struct.pack("<8f", *vector)).decode()
        data.append(
            {"object": "embedding", "index": index, "embedding": packed if encoded else vector}
        )
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": usage.input_tokens, "total_tokens": usage.input_tokens},
    }


def _anthropic_usage(usage: StubUsage) -> dict[str, Any]:
    # Anthropic's input_tokens exclude cache reads and writes.
    rendered: dict[str, Any] = {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_input_tokens": usage.cache_read_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
    }
    if usage.reasoning_tokens:
        rendered["output_tokens_details"] = {"thinking_tokens": usage.reasoning_tokens}
    return rendered


def _ollama_usage(usage: StubUsage) -> dict[str, Any]:
    return {
        "prompt_eval_count": usage.input_tokens + usage.cache_read_tokens,
        "eval_count": usage.output_tokens,
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
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
