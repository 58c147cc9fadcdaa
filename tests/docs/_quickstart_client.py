"""Send the FastAPI quickstart's requests and write what came back as JSON.

``python _quickstart_client.py OUT.json``: in process, through FastAPI's ``TestClient`` on
``main.app`` (the quickstart's logs go to this process's stdout).
``python _quickstart_client.py OUT.json http://127.0.0.1:PORT``: over HTTP to a running server.

Run by ``tests/docs/test_fastapi_quickstart.py`` from the directory holding ``main.py``, with
the quickstart's ``AUTH_JWT_*`` variables, so it mints tokens with the server's keys.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx

from netrun.auth import get_jwt_manager

#: The correlation ID the first request sends; the test finds it in the server's log.
CORRELATION_ID = "quickstart-check-0001"


def _client(base_url: str | None) -> httpx.Client:
    if base_url is not None:
        return httpx.Client(base_url=base_url, timeout=10)
    from fastapi.testclient import TestClient
    from main import app  # type: ignore[import-not-found]  # the quickstart's module

    return TestClient(app)


def exercise(base_url: str | None) -> dict[str, Any]:
    token = get_jwt_manager().create_access_token("ada", roles=["agent"], tenant_id="acme")
    agent = {"Authorization": f"Bearer {token}"}
    requests: list[tuple[str, str, dict[str, str]]] = [
        ("health", "/health", {"X-Correlation-ID": CORRELATION_ID}),
        ("not_found", "/nope", {}),
        # Five /tickets requests a minute per client: the sixth is refused.
        ("no_token", "/tickets", {}),
        ("bad_token", "/tickets", {"Authorization": "Bearer not.a.token"}),
        ("agent_1", "/tickets", agent),
        ("agent_2", "/tickets", agent),
        ("agent_3", "/tickets", agent),
        ("limited", "/tickets", agent),
    ]
    answers: dict[str, Any] = {}
    with _client(base_url) as http:
        for name, path, headers in requests:
            response = http.get(path, headers=headers)
            answers[name] = {
                "status": response.status_code,
                "headers": {key.lower(): value for key, value in response.headers.items()},
                "body": response.json(),
            }
    return answers


if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.write_text(json.dumps(exercise(sys.argv[2] if len(sys.argv) > 2 else None)))
