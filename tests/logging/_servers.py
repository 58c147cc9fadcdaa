"""Helpers that run real processes (a script, uvicorn, gunicorn, a Celery worker) for the
closed-default and access-log tests, and collect what they print."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

# Never a real credential: values the tests look for in captured output.
SECRET = "hunter2-0a7c4d"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJlLXNlY3JldA"
API_KEY = "sk-test0a7c4d9e8f7a6b5c"
ROOT = Path(__file__).resolve().parents[2]


def clean_env(extra_path: Path, **overrides: str) -> dict[str, str]:
    """The test process's environment without Django settings, ``extra_path`` importable."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "DJANGO_SETTINGS_MODULE" and not key.startswith("NETRUN_")
    }
    env["PYTHONPATH"] = os.pathsep.join([str(extra_path), str(ROOT)])
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env


def write_module(directory: Path, name: str, source: str) -> Path:
    path = directory / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str, headers: Mapping[str, str] | None = None) -> int:
    """GET ``url`` and return the status; an HTTP error status is a status too."""
    request = urllib.request.Request(url, headers=dict(headers or {}))  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listened on 127.0.0.1:{port}")


class Output:
    """What a process printed, stdout and stderr together, filled when it stopped."""

    text = ""


@contextmanager
def running(
    command: list[str], env: dict[str, str], cwd: Path, port: int | None = None
) -> Iterator[Output]:
    """Run ``command`` for the block (once ``port`` listens, if given), then stop it and
    collect its output."""
    output = Output()
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        if port is not None:
            wait_for_port(port, process)
        yield output
    finally:
        process.terminate()
        try:
            data, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            data, _ = process.communicate()
        output.text = data.decode("utf-8", "replace")


PYTHON = sys.executable
