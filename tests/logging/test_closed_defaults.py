"""Secrets are redacted with no logging set-up at all: a plain script, a FastAPI service
under uvicorn, a Celery worker without Django. Each runs as a real process; the test reads
everything it printed."""

from __future__ import annotations

import subprocess
from pathlib import Path

from celery import Celery

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


def assert_redacted(output: str, *events: str) -> None:
    for event in events:
        assert event in output, output  # the line was written...
    for secret in (SECRET, JWT, API_KEY):
        assert secret not in output, output  # ... without the secret
    assert "[REDACTED]" in output


def test_a_plain_script_never_prints_a_secret(tmp_path: Path) -> None:
    write_module(
        tmp_path,
        "script",
        f"""
        from netrun.logging import get_logger

        logger = get_logger("script")
        logger.info("login", user="ada", password={SECRET!r})
        logger.warning("calling", authorization="Bearer {JWT}", key={API_KEY!r})
        logger.info("usage", cache_read_tokens=12, cache_write_tokens=3, access_token="abc")
        logger.debug("below_the_default_level", password={SECRET!r})
        """,
    )
    result = subprocess.run(
        [PYTHON, "script.py"],
        env=clean_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert_redacted(result.stdout + result.stderr, "login", "calling")
    # Logs are diagnostics: stderr, so a script's stdout stays its own.
    assert result.stdout == ""
    assert "user=ada" in result.stderr
    assert "cache_read_tokens=12" in result.stderr
    assert "cache_write_tokens=3" in result.stderr
    assert "access_token=[REDACTED]" in result.stderr
    assert "below_the_default_level" not in result.stderr


def test_a_fastapi_service_under_uvicorn_never_prints_a_secret(tmp_path: Path) -> None:
    write_module(
        tmp_path,
        "service",
        """
        from fastapi import FastAPI

        from netrun.logging import get_logger
        from netrun.logging.asgi import CorrelationIdASGIMiddleware

        logger = get_logger("service")
        app = FastAPI()
        app.add_middleware(CorrelationIdASGIMiddleware)


        @app.get("/login")
        def login(password: str, token: str) -> dict[str, bool]:
            logger.info("login_attempt", password=password, token=token, note=f"used {token}")
            return {"ok": True}
        """,
    )
    port = free_port()
    command = [PYTHON, "-m", "uvicorn", "service:app", "--host", "127.0.0.1"]
    with running([*command, "--port", str(port)], clean_env(tmp_path), tmp_path, port) as out:
        status = get(f"http://127.0.0.1:{port}/login?password={SECRET}&token={JWT}")
    assert status == 200
    # netrun's event, the middleware's request lines and uvicorn's own access line.
    assert_redacted(out.text, "login_attempt", "request_finished", "GET /login?password=")


def test_a_celery_worker_without_django_never_prints_a_secret(
    tmp_path: Path, redis_url: str
) -> None:
    write_module(
        tmp_path,
        "worker_app",
        f"""
        import os

        from celery import Celery

        from netrun.logging import get_logger
        from netrun.logging.celery import connect_signals

        app = Celery("worker_app", broker=os.environ["BROKER"], backend=os.environ["BROKER"])
        app.conf.broker_connection_retry_on_startup = True
        connect_signals()
        logger = get_logger("worker_app")


        @app.task(name="worker_app.login")
        def login(password):
            logger.info("task_login", password=password, dsn="redis://u:" + password + "@h/0")
            logger.info("task_key", detail="key " + {API_KEY!r} + " token " + {JWT!r})
            return "done"
        """,
    )
    command = [PYTHON, "-m", "celery", "-A", "worker_app", "worker", "--pool=solo"]
    options = ["--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    env = clean_env(tmp_path, BROKER=redis_url)
    client = Celery("client", broker=redis_url, backend=redis_url, set_as_current=False)
    with running([*command, *options], env, tmp_path) as out:
        result = client.send_task("worker_app.login", args=[SECRET])
        assert result.get(timeout=60) == "done"
    client.close()
    assert_redacted(out.text, "task_login", "task_key")


def test_a_worker_whose_logging_netrun_sets_up_redacts_its_stdlib_lines_too(
    tmp_path: Path, redis_url: str
) -> None:
    # With configure_worker_logging Celery's setup_logging signal hands the worker's logging
    # to netrun: its stdlib records (Celery's, the task's) go through netrun's bridge.
    write_module(
        tmp_path,
        "bridge_app",
        """
        import logging
        import os

        from celery import Celery

        from netrun.logging import get_logger
        from netrun.logging.celery import connect_signals

        app = Celery("bridge_app", broker=os.environ["BROKER"], backend=os.environ["BROKER"])
        connect_signals(configure_worker_logging=True, log_level="INFO")


        @app.task(name="bridge_app.connect")
        def connect(password):
            get_logger("bridge_app").info("connecting", password=password)
            logging.getLogger("bridge_app").warning(
                "stdlib_connecting to postgresql://app:%s@db/app", password
            )
            return "done"
        """,
    )
    command = [PYTHON, "-m", "celery", "-A", "bridge_app", "worker", "--pool=solo"]
    options = ["--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    client = Celery("client", broker=redis_url, backend=redis_url, set_as_current=False)
    with running([*command, *options], clean_env(tmp_path, BROKER=redis_url), tmp_path) as out:
        assert client.send_task("bridge_app.connect", args=[SECRET]).get(timeout=60) == "done"
    client.close()
    assert_redacted(out.text, "connecting", "stdlib_connecting")
    assert '"event": "stdlib_connecting to postgresql://app:***@db/app"' in out.text
