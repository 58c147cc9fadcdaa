"""What the renderers are tested with; imports no framework, so every test app can use it."""

from __future__ import annotations

from netrun.core.context import correlation_context
from netrun.errors import ConflictError

#: What an unhandled exception says; none of it may reach a client.
SECRET = "db password hunter2: SELECT * FROM auth_user WHERE password = 'hunter2'"
#: The words that must never appear in a 500 body with DEBUG off.
LEAKS = ("hunter2", "SELECT", "auth_user", "Traceback", "RuntimeError", 'File "')
CORRELATION_ID = "parity-correlation-0001"

#: The envelope every renderer must answer :func:`raise_conflict` with.
CONFLICT_ENVELOPE = {
    "error": {
        "code": "CONFLICT",
        "message": "Order 7 already exists.",
        "details": {"order_id": 7},
        "correlation_id": CORRELATION_ID,
    }
}


def raise_conflict() -> None:
    """The error every renderer must answer identically."""
    with correlation_context(CORRELATION_ID):
        raise ConflictError("Order 7 already exists.", details={"order_id": 7})
