"""``NETRUN_LOGGING_CONFIGURE = True`` alone: Django's lines once, as JSON, with the right ID.

A subprocess serves two requests through Django's own runserver classes (``ThreadedWSGIServer``
and ``WSGIRequestHandler``: a thread per request, the access line written after the
response) under settings that set nothing about logging but ``NETRUN_LOGGING_CONFIGURE``,
and everything it prints is read back.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import uuid

import pytest
from django.test import override_settings

from tests.logging._servers import clean_env, write_module

SETTINGS = """
SECRET_KEY = "not-secret"
DEBUG = True  # Django's console handler prints only under DEBUG: the duplicate case
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "netrun.core", "netrun.logging"]
MIDDLEWARE = ["netrun.logging.middleware.CorrelationIdMiddleware"]
ROOT_URLCONF = "probe_urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
NETRUN_LOGGING_CONFIGURE = True
"""

URLS = """
from django.http import HttpResponse
from django.urls import path

from netrun.llm.adapters.offline import OfflineAdapter
from netrun.logging import get_logger


def llm(request):
    OfflineAdapter().chat("hello")  # netrun's own llm_request / llm_response events
    get_logger("probe").info(
        "signed_in", access_token="at-s3cr3t", refresh_token="rt-s3cr3t", id_token="it-s3cr3t", token="t-s3cr3t",
        cache_read_tokens=3,
    )
    return HttpResponse("ok")


urlpatterns = [path("ok/", lambda request: HttpResponse("ok")), path("llm/", llm)]
"""

SERVE = """
import http.client, sys, threading
import django
django.setup()
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application

server = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
server.set_app(get_wsgi_application())
requests = [("/ok/", sys.argv[1]), ("/nope/", sys.argv[2]), ("/ok/", None), ("/llm/", None)]
serving = threading.Thread(target=lambda: [server.handle_request() for _ in requests])
serving.start()
for path, correlation_id in requests:
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
    headers = {"X-Correlation-ID": correlation_id} if correlation_id else {}
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
serving.join(30)
server.server_close()  # joins the request threads: their access lines are written
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, list[str], list[str]]:
    folder = tmp_path_factory.mktemp("django_output")
    write_module(folder, "probe_settings", SETTINGS)
    write_module(folder, "probe_urls", URLS)
    ok_id, nope_id = uuid.uuid4().hex, uuid.uuid4().hex
    result = subprocess.run(
        [sys.executable, "-c", SERVE, ok_id, nope_id],
        cwd=folder, env=clean_env(folder, DJANGO_SETTINGS_MODULE="probe_settings"),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return ok_id, nope_id, result.stdout.splitlines(), result.stderr.splitlines()


def _events(lines: list[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in lines if line.strip()]


def test_every_line_is_json_and_nothing_goes_to_stderr(
    served: tuple[str, str, list[str], list[str]],
) -> None:
    _, _, stdout, stderr = served
    assert [line for line in stderr if line.strip()] == []  # Django's plain console copy
    events = _events(stdout)  # raises on a plain line
    assert events


def test_django_request_warning_is_printed_once(
    served: tuple[str, str, list[str], list[str]],
) -> None:
    _, nope_id, stdout, stderr = served
    assert sum("Not Found: /nope/" in line for line in stdout + stderr) == 1
    [warning] = [e for e in _events(stdout) if e.get("event") == "Not Found: /nope/"]
    assert warning["logger"] == "django.request"
    assert warning["correlation_id"] == nope_id


def test_runserver_access_lines_carry_their_request_correlation_id(
    served: tuple[str, str, list[str], list[str]],
) -> None:
    ok_id, nope_id, stdout, _ = served
    access = [e for e in _events(stdout) if e.get("logger") == "django.server"]
    assert len(access) == 4, access
    by_path = {}
    for event in access:
        assert isinstance(event["event"], str)
        by_path.setdefault(event["event"].split('"GET ')[1].split(" ")[0], []).append(event)
    assert [e["correlation_id"] for e in by_path["/nope/"]] == [nope_id]
    ok_ids = [e["correlation_id"] for e in by_path["/ok/"]]
    # The third request sent no ID: the middleware made one, and its line has that one.
    assert ok_ids[0] == ok_id
    assert ok_ids[1] not in {ok_id, nope_id}
    finished = [e for e in _events(stdout) if e.get("event") == "request_finished"]
    assert ok_ids[1] == finished[2]["correlation_id"]


def test_token_counts_are_logged_and_tokens_are_not(
    served: tuple[str, str, list[str], list[str]],
) -> None:
    events = _events(served[2])
    [response] = [e for e in events if e.get("event") == "llm_response"]
    assert response["cache_read_tokens"] == 0
    assert response["cache_write_tokens"] == 0
    assert isinstance(response["input_tokens"], int)
    [signed_in] = [e for e in events if e.get("event") == "signed_in"]
    assert signed_in["cache_read_tokens"] == 3
    for key in ("access_token", "refresh_token", "id_token", "token"):
        assert signed_in[key] == "[REDACTED]", key
    assert not any(secret in line for line in served[2] for secret in ("s3cr3t",))


def test_an_access_line_of_a_request_without_the_middleware_has_no_correlation_id() -> None:
    from netrun.logging.access import AccessCorrelationFilter, note_served_correlation_id
    from netrun.logging.formatters import JSONFormatter

    formatter = JSONFormatter()
    # This thread served test-client requests before: none of them wrote an access line.
    note_served_correlation_id(None)
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, '"GET /static/a.css HTTP/1.1" 200 1', None, None)  # fmt: skip
    AccessCorrelationFilter().filter(record)
    assert "correlation_id" not in json.loads(formatter.format(record))

    note_served_correlation_id("abc123")
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, '"GET /x HTTP/1.1" 200 1', None, None)  # fmt: skip
    AccessCorrelationFilter().filter(record)
    assert json.loads(formatter.format(record))["correlation_id"] == "abc123"
    # Used once: the next line in this thread does not inherit it.
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, '"GET /y HTTP/1.1" 200 1', None, None)  # fmt: skip
    AccessCorrelationFilter().filter(record)
    assert "correlation_id" not in json.loads(formatter.format(record))


def _django_default_handlers() -> list[logging.Handler]:
    return [*logging.getLogger("django").handlers, *logging.getLogger("django.server").handlers]


def test_turning_configure_off_gives_django_its_handlers_back() -> None:
    before = _django_default_handlers()
    assert before, "the test settings keep Django's DEFAULT_LOGGING"
    assert logging.getLogger("django.server").propagate is False
    with override_settings(NETRUN_LOGGING_CONFIGURE=True):
        during = _django_default_handlers()
        assert all(type(handler) is not logging.StreamHandler for handler in during)
        assert logging.getLogger("django.server").propagate is True
    assert set(_django_default_handlers()) == set(before)
    assert logging.getLogger("django.server").propagate is False


def test_loggers_the_project_configures_itself_are_left_alone() -> None:
    logging_setting = {
        "version": 1,
        "disable_existing_loggers": False,
        "loggers": {"django": {"level": "INFO"}},
    }
    # What Django itself makes of that LOGGING: 6.1 applies it when it changes (the project's
    # "django" logger then has no handler), 5.2 leaves the loggers as they were.
    with override_settings(LOGGING=logging_setting):
        expected = list(logging.getLogger("django").handlers)
    with override_settings(NETRUN_LOGGING_CONFIGURE=True, LOGGING=logging_setting):
        assert logging.getLogger("django").handlers == expected
        # django.server is not the project's: netrun takes it over, after Django 6.1
        # configured logging again for the new LOGGING.
        assert logging.getLogger("django.server").propagate is True
    assert logging.getLogger("django.server").propagate is False
