"""A loopback webhook receiver: records each POST, checks its signature, answers as scripted."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Received:
    idempotency_key: str
    payload: dict[str, Any]
    signed: bool  # X-Netrun-Signature is the HMAC-SHA256 of the raw body with the secret
    timestamp: str
    status: int  # what the receiver answered


class WebhookReceiver:
    """``with WebhookReceiver(secret, answers=[500]) as hooks:`` on 127.0.0.1, a free port.

    ``answers`` are the statuses of the first requests, then 200; ``before_answer``, when set,
    runs before each answer (a fault to inject while the sender waits). The server stops when
    the block ends (and its thread is a daemon: it never outlives the test run)."""

    def __init__(self, secret: str, answers: list[int] | None = None) -> None:
        self.secret = secret.encode()
        self.answers = list(answers or [])
        self.received: list[Received] = []
        self.before_answer: Callable[[], None] | None = None
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                expected = "sha256=" + hmac.new(receiver.secret, body, hashlib.sha256).hexdigest()
                signature = self.headers.get("X-Netrun-Signature", "")
                with receiver._changed:
                    status = receiver.answers.pop(0) if receiver.answers else 200
                    receiver.received.append(
                        Received(
                            idempotency_key=self.headers.get("Idempotency-Key", ""),
                            payload=json.loads(body),
                            signed=hmac.compare_digest(expected, signature),
                            timestamp=self.headers.get("X-Netrun-Timestamp", ""),
                            status=status,
                        )
                    )
                    receiver._changed.notify_all()
                if receiver.before_answer is not None:
                    receiver.before_answer()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: the test reads self.received

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/budget"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def wait_for(self, count: int, timeout: float = 60) -> list[Received]:
        """The requests once ``count`` arrived (or what arrived by ``timeout``)."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)
