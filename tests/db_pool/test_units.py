"""Server-free units: redaction, PoolConfig, metrics, and the import contract."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from netrun.db_pool import PoolConfig, PoolMetrics, redact_url
from netrun.db_pool._redact import redact_error
from netrun.errors import ValidationError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://user:secret@host/db", "postgresql://user:***@host/db"),
        ("postgresql://user:p%40ss:w@host:5432/db", "postgresql://user:***@host:5432/db"),
        ("postgresql://user@host/db", "postgresql://user@host/db"),
        (
            "postgres://h/db?sslmode=require&password=secret",
            "postgres://h/db?sslmode=require&password=***",
        ),
        ("host=h user=u password=secret dbname=d", "host=h user=u password=*** dbname=d"),
        ("host=h password='a b c' user=u", "host=h password=*** user=u"),
        ("postgresql://user:secret@[::1/db", "postgresql://user:***@[::1/db"),
        ("", ""),
        (None, ""),
    ],
)
def test_redact_url_masks_every_password_form(url: str | None, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_error_masks_urls_keywords_and_given_secrets() -> None:
    error = ValueError('bad "postgresql://u:pw1@h/d" near password=pw2 and pw3')
    text = redact_error(error, "pw3", "")
    assert "pw1" not in text
    assert "pw2" not in text
    assert "pw3" not in text
    assert text.startswith("ValueError: ")
    assert redact_error(ValueError()) == "ValueError"


def test_pool_config_reads_db_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_URL", "postgresql://u:secret@h/d")
    monkeypatch.setenv("DB_MAX_SIZE", "7")
    config = PoolConfig(_env_file=None)
    assert config.max_size == 7
    assert config.url_value() == "postgresql://u:secret@h/d"
    assert config.redacted_url == "postgresql://u:***@h/d"
    assert "secret" not in repr(config)


def test_pool_config_reads_flat_django_settings() -> None:
    with override_settings(NETRUN_DB_POOL_MIN_SIZE=3, NETRUN_DB_POOL_URL=""):
        config = PoolConfig(_env_file=None)
    assert config.min_size == 3
    assert config.url is None
    assert config.redacted_url == ""


def test_pool_config_refuses_max_below_min() -> None:
    with pytest.raises(ValidationError):
        PoolConfig(min_size=5, max_size=2, _env_file=None)


def test_metrics_from_pool_stats_fill_missing_counters_with_zero() -> None:
    metrics = PoolMetrics.from_pool_stats(
        "django:default",
        "postgresql://h/d",
        {"pool_min": 1, "pool_max": 4, "pool_size": 3, "pool_available": 1, "requests_wait_ms": 5},
    )
    assert (metrics.size, metrics.idle, metrics.in_use, metrics.acquisitions) == (3, 1, 2, 0)
    assert metrics.acquire_seconds_total == 0.005
    assert metrics.acquire_seconds_mean == 0.0


def test_the_pool_core_imports_without_django_or_psycopg_pool() -> None:
    code = """
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("django", "fastapi", "starlette", "psycopg_pool"):
            raise ModuleNotFoundError(name)
sys.meta_path.insert(0, Block())
import netrun.db_pool as d
from netrun.db_pool import _tenant, _metrics, _redact, conf, prometheus
from netrun.db_pool import AsyncDatabasePool, DatabasePool
assert set(d.__all__) >= {"DatabasePool", "AsyncDatabasePool", "PoolConfig"}
leaked = [m for m in sys.modules if m.split(".")[0] in ("django", "psycopg_pool")]
assert not leaked, leaked
try:
    d.nothing
except AttributeError:
    print("ok")
"""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_the_pool_module_loads_lazily_and_then_stays() -> None:
    import netrun.db_pool as package
    from netrun.db_pool.pool import AsyncDatabasePool, DatabasePool

    assert package.DatabasePool is DatabasePool
    assert package.AsyncDatabasePool is AsyncDatabasePool
