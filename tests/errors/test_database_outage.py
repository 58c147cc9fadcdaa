"""A database that cannot be reached is a 503 ``DATABASE_ERROR`` with ``Retry-After``, not a 500.

The views reach real databases through Django's own connection handling: a PostgreSQL
address where nothing listens (the ``OperationalError`` of a pooler that is down), and an
in-memory SQLite queried for a table it does not have (an ``OperationalError`` that is a
bug, and stays a 500). The outage is raised in a DRF view (the exception handler), a plain
view (the middleware) and a middleware before the view (``handler500``), sync and async.
The example project through a real PgBouncer that stops and starts again is
``tests/example/test_database_outage.py``.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db.utils import ConnectionHandler
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client, override_settings
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tests.errors.conftest import DRF_SETTINGS, MIDDLEWARE_PATH

# django_db: pytest-django blocks every connection otherwise, these handlers' too.
pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

handler500 = "netrun.errors.views.handler500"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # released: nothing listens there now


PORT = _closed_port()
DATABASES = ConnectionHandler(  # Django's own handler, on databases of this module's own
    {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": "127.0.0.1",
            "PORT": PORT,
            "NAME": "helpdesk",
            "USER": "app",
            "OPTIONS": {"connect_timeout": 3},
        },
        "scratch": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
    }
)


def _query_down() -> None:
    with DATABASES["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def _query_missing_table() -> None:
    with DATABASES["scratch"].cursor() as cursor:
        cursor.execute("SELECT * FROM helpdesk_ticket")


def plain_down(request: HttpRequest) -> HttpResponse:
    _query_down()
    return HttpResponse("unreachable")


def plain_missing_table(request: HttpRequest) -> HttpResponse:
    _query_missing_table()
    return HttpResponse("unreachable")


class _OpenView(APIView):
    authentication_classes = []
    permission_classes = []


class DRFDown(_OpenView):
    def get(self, request: Request) -> Response:
        _query_down()
        return Response()


class DRFMissingTable(_OpenView):
    def get(self, request: Request) -> Response:
        _query_missing_table()
        return Response()


def query_before_the_view(get_response: Callable[[HttpRequest], Any]) -> Any:
    """A middleware that reads the database before any view, as loading a user does."""

    def middleware(request: HttpRequest) -> Any:
        if request.path.endswith("/early/"):
            _query_down()
        return get_response(request)

    return middleware


urlpatterns = [
    path("api/drf/down/", DRFDown.as_view()),
    path("api/drf/missing-table/", DRFMissingTable.as_view()),
    path("plain/down/", plain_down),
    path("plain/missing-table/", plain_missing_table),
    path("api/early/", plain_down),
    path("page/early/", plain_down),
]


@pytest.fixture(autouse=True)
def netrun_errors() -> Iterator[None]:
    from django.conf import settings

    middleware = [
        *settings.MIDDLEWARE,
        f"{__name__}.query_before_the_view",
        MIDDLEWARE_PATH,
    ]
    with override_settings(MIDDLEWARE=middleware, REST_FRAMEWORK=DRF_SETTINGS):
        yield


def _assert_database_error(response: Any) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "error": {
            "code": "DATABASE_ERROR",
            "message": "The database is temporarily unavailable.",
            "details": {},
            "correlation_id": response["X-Correlation-ID"],
        }
    }
    # Nothing of the driver's message (host, port, role) reaches the client.
    assert str(PORT) not in response.content.decode()


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/api/drf/down/", "application/json"),  # netrun.errors.drf.exception_handler
        ("/plain/down/", "application/json"),  # ErrorEnvelopeMiddleware
        ("/api/early/", "*/*"),  # handler500: raised before any view
    ],
)
def test_an_unreachable_database_is_the_503_envelope_with_retry_after(
    path: str, accept: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(raise_request_exception=False)
    with caplog.at_level("ERROR", logger="django.request"):
        response = client.get(path, HTTP_ACCEPT=accept)
    _assert_database_error(response)
    # Logged once, with the driver's error and its traceback, for the operator.
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    assert records[0].getMessage() == f"Service Unavailable: {path}"
    assert records[0].exc_info is not None
    assert type(records[0].exc_info[1]).__name__ == "OperationalError"


def test_the_outage_still_reaches_error_trackers() -> None:
    from django.db import OperationalError

    with pytest.raises(OperationalError):
        Client().get("/api/drf/down/")


@pytest.mark.asyncio
async def test_raised_before_an_async_view_it_is_the_503_envelope_too() -> None:
    response = await AsyncClient(raise_request_exception=False).get("/api/early/")
    _assert_database_error(response)


def test_a_browser_gets_a_503_page_with_retry_after() -> None:
    response = Client(raise_request_exception=False).get("/page/early/", HTTP_ACCEPT="text/html")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    assert "Service Unavailable (503)" in response.content.decode()
    assert str(PORT) not in response.content.decode()


@pytest.mark.parametrize("path", ["/api/drf/missing-table/", "/plain/missing-table/"])
def test_a_statement_error_filed_as_operational_error_stays_a_500(path: str) -> None:
    """SQLite's "no such table" is an OperationalError too: a bug, not an outage."""
    response = Client(raise_request_exception=False).get(path, HTTP_ACCEPT="application/json")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "INTERNAL_SERVER_ERROR"
    assert not response.has_header("Retry-After")
