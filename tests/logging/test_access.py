"""Access logs without secrets: runserver's ``django.server``, gunicorn and uvicorn, each a
real server on 127.0.0.1 answering a request whose URL and headers carry secrets."""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from django.utils.log import ServerFormatter

from netrun.logging.access import (
    ACCESS_LOGGERS,
    RedactingAccessFilter,
    install_access_filters,
    redact_access_text,
    uvicorn_log_config,
)
from netrun.logging.redaction import REDACTED
from tests.logging._servers import (
    API_KEY,
    JWT,
    PYTHON,
    SECRET,
    clean_env,
    free_port,
    get,
    running,
    write_module,
)

QUERY = f"password={SECRET}&token={JWT}&secret=s3cr3t-value&api_key={API_KEY}&page=2"
REDACTED_QUERY = f"password={REDACTED}&token={REDACTED}&secret={REDACTED}&api_key={REDACTED}&page=2"


def assert_clean(line: str) -> None:
    for secret in (SECRET, JWT, API_KEY, "s3cr3t-value"):
        assert secret not in line, line


# ----------------------------------------------------------------------------- the rules


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"GET /login?{QUERY} HTTP/1.1", f"GET /login?{REDACTED_QUERY} HTTP/1.1"),
        (QUERY, REDACTED_QUERY),  # a bare query string (gunicorn's %(q)s)
        ("/a?user=ada;passwd=x#frag", f"/a?user=ada;passwd={REDACTED}#frag"),
        ("/a?pass%77ord=x&Client-Secret=y", f"/a?pass%77ord={REDACTED}&Client-Secret={REDACTED}"),
        (
            "/a?cache_read_tokens=5&max_tokens=9&page=",
            "/a?cache_read_tokens=[REDACTED]&max_tokens=9&page=",
        ),
        (f"/cb?next=/x&code={JWT}", f"/cb?next=/x&code={REDACTED}"),  # a JWT under any name
        ("/search?q=tokenless&sort=asc", "/search?q=tokenless&sort=asc"),
    ],
)
def test_sensitive_query_parameters_and_secret_values_are_redacted(
    text: str, expected: str
) -> None:
    assert redact_access_text(text) == expected


def test_the_filter_cleans_positional_and_mapping_arguments_and_keeps_every_record() -> None:
    access_filter = RedactingAccessFilter(extra_sensitive_keys=["ssn"])
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, "%s %s", (f"/x?ssn=1&{QUERY}", 200), None
    )
    assert access_filter.filter(record) is True
    assert record.args == (f"/x?ssn={REDACTED}&{REDACTED_QUERY}", 200)

    atoms = {
        "r": f"GET /x?{QUERY} HTTP/1.1",
        "{authorization}i": "Basic YWRhOmh1bnRlcjI=",
        "{x-api-key}i": "plain-looking",
        "{user-agent}i": "curl/8",
        "{raw_uri}e": f"/x?{QUERY}",
        "B": 2,
    }
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(r)s", (), None)
    record.args = atoms
    access_filter.filter(record)
    assert record.args is atoms  # changed in place: gunicorn's atoms mapping keeps its class
    assert atoms == {
        "r": f"GET /x?{REDACTED_QUERY} HTTP/1.1",
        "{authorization}i": REDACTED,
        "{x-api-key}i": REDACTED,
        "{user-agent}i": "curl/8",
        "{raw_uri}e": f"/x?{REDACTED_QUERY}",
        "B": 2,
    }


def test_netrun_puts_the_filter_on_every_access_logger_once() -> None:
    install_access_filters()
    install_access_filters()
    for name in ACCESS_LOGGERS:
        filters = logging.getLogger(name).filters
        assert sum(isinstance(item, RedactingAccessFilter) for item in filters) == 1


# ----------------------------------------------------------------------------- runserver


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(ServerFormatter("[{server_time}] {message}", style="{"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def server_lines() -> Iterator[list[str]]:
    handler = _Lines()
    logger = logging.getLogger("django.server")
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)


def test_runserver_access_lines_are_redacted_by_default(server_lines: list[str]) -> None:
    # runserver's own server and request handler, on a free port, serving the test project.
    server = WSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    # WSGIHandler, not get_wsgi_application(): django.setup() again would re-run dictConfig.
    server.set_app(WSGIHandler())
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        status = get(f"http://127.0.0.1:{port}/no-such-page/?{QUERY}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert status == 404
    [line] = [line for line in server_lines if "/no-such-page/" in line]
    assert f'"GET /no-such-page/?{REDACTED_QUERY} HTTP/1.1" 404' in line
    assert_clean(line)


# ----------------------------------------------------------------------------- gunicorn


def test_gunicorn_with_netruns_logger_class_writes_no_secret(tmp_path: Path) -> None:
    write_module(
        tmp_path,
        "wsgi_app",
        """
        def application(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        """,
    )
    port = free_port()
    # The deployment page's gunicorn.conf.py, with a format that prints headers as well.
    write_module(
        tmp_path,
        "gunicorn_conf",
        f"""
        bind = "127.0.0.1:{port}"
        workers = 1
        accesslog = "-"
        logger_class = "netrun.logging.gunicorn.GunicornLogger"
        access_log_format = '%(h)s "%(r)s" %(s)s q=%(q)s auth=%({{authorization}}i)s ref=%(f)s'
        """,
    )
    command = [PYTHON, "-m", "gunicorn", "-c", "gunicorn_conf.py", "wsgi_app:application"]
    with running(command, clean_env(tmp_path), tmp_path, port) as out:
        headers = {"Authorization": f"Bearer {JWT}", "Referer": f"http://x/?key={API_KEY}"}
        assert get(f"http://127.0.0.1:{port}/login?{QUERY}", headers) == 200
    [line] = [line for line in out.text.splitlines() if "GET /login" in line]
    assert f'"GET /login?{REDACTED_QUERY} HTTP/1.1" 200' in line
    assert f"q={REDACTED_QUERY}" in line
    assert f"auth={REDACTED}" in line
    assert f"ref=http://x/?key={REDACTED}" in line
    assert_clean(out.text)


# ----------------------------------------------------------------------------- uvicorn


def test_uvicorn_with_netruns_log_config_writes_no_secret(tmp_path: Path) -> None:
    write_module(
        tmp_path,
        "asgi_app",
        """
        async def app(scope, receive, send):
            assert scope["type"] == "http"
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})
        """,
    )
    write_module(
        tmp_path,
        "serve",
        """
        import logging
        import sys

        import uvicorn

        from netrun.logging.access import uvicorn_log_config

        # Only the log_config below may redact: no filter left by netrun's defaults.
        logging.getLogger("uvicorn.access").filters.clear()
        uvicorn.run(
            "asgi_app:app", host="127.0.0.1", port=int(sys.argv[1]), log_config=uvicorn_log_config()
        )
        """,
    )
    port = free_port()
    with running([PYTHON, "serve.py", str(port)], clean_env(tmp_path), tmp_path, port) as out:
        assert get(f"http://127.0.0.1:{port}/login?{QUERY}") == 200
    [line] = [line for line in out.text.splitlines() if "GET /login" in line]
    assert f'"GET /login?{REDACTED_QUERY} HTTP/1.1" 200' in line
    assert_clean(out.text)


def test_uvicorn_log_config_keeps_uvicorns_defaults() -> None:
    from uvicorn.config import LOGGING_CONFIG

    config = uvicorn_log_config()
    assert config["loggers"]["uvicorn.access"]["filters"] == ["netrun_redact"]
    assert config["formatters"] == LOGGING_CONFIG["formatters"]
    assert "filters" not in LOGGING_CONFIG["loggers"]["uvicorn.access"]  # a copy was changed


def test_gunicorns_logger_class_puts_the_filter_on_the_access_loggers() -> None:
    from gunicorn.config import Config

    from netrun.logging.gunicorn import GunicornLogger

    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        for item in [f for f in logger.filters if isinstance(f, RedactingAccessFilter)]:
            logger.removeFilter(item)
    try:
        GunicornLogger(Config())
        for name in ACCESS_LOGGERS:
            assert any(
                isinstance(f, RedactingAccessFilter) for f in logging.getLogger(name).filters
            )
    finally:
        install_access_filters()


def test_the_deployment_pages_logging_snippet_redacts_runserver_lines(tmp_path: Path) -> None:
    # The LOGGING block of docs/deployment.md, applied as Django would, in a fresh process
    # where netrun's logger never ran (so only the snippet can redact).
    page = (Path(__file__).resolve().parents[2] / "docs" / "deployment.md").read_text()
    [block] = [
        block.split("```", 1)[0]
        for block in page.split("```python\n")[1:]
        if "redact_access" in block.split("```", 1)[0]
    ]
    write_module(tmp_path, "snippet", block)
    write_module(
        tmp_path,
        "apply",
        f"""
        import logging.config

        from snippet import LOGGING

        logging.config.dictConfig(LOGGING)
        logging.getLogger("django.server").info(
            '"%s" %s %s', "GET /login?{QUERY} HTTP/1.1", "200", "2"
        )
        """,
    )
    result = subprocess.run(
        [PYTHON, "apply.py"],
        env=clean_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert f'"GET /login?{REDACTED_QUERY} HTTP/1.1" 200 2' in result.stderr
    assert_clean(result.stderr)
