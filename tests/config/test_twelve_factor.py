"""A settings module built with the Env helpers reads like a 12-factor app; cores need no Django."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from netrun.config.checks import check_environment
from tests.config.test_django import email_settings

ROOT = Path(__file__).resolve().parents[2]


def load(monkeypatch: pytest.MonkeyPatch, **environ: str) -> ModuleType:
    for name in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "CACHE_URL",
                 "EMAIL_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER", "DJANGO_DEBUG"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    sys.modules.pop("tests.config.twelve_factor_settings", None)
    return importlib.import_module("tests.config.twelve_factor_settings")


def test_embedded_defaults_with_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(monkeypatch)
    assert settings.DEBUG is True
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")
    assert email_settings(vars(settings))["EMAIL_BACKEND"].endswith("console.EmailBackend")
    assert settings.CELERY_TASK_ALWAYS_EAGER is True
    assert check_environment() == []


def test_production_reads_every_service_from_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(
        monkeypatch,
        APP_ENVIRONMENT="production",
        DJANGO_SECRET_KEY="k3$Zq9!vT2#mW8@pL5^rB7&nY4*cH6",
        DJANGO_ALLOWED_HOSTS="helpdesk.example.com",
        DATABASE_URL="postgres://app:pw@db:5432/helpdesk",
        CACHE_URL="redis://cache:6379/1",
        EMAIL_URL="smtp+tls://mailer:pw@smtp.example.com:587",
        CELERY_BROKER_URL="redis://cache:6379/2",
    )
    assert settings.DEBUG is False
    assert settings.SECRET_KEY == "k3$Zq9!vT2#mW8@pL5^rB7&nY4*cH6"
    assert settings.ALLOWED_HOSTS == ["helpdesk.example.com"]
    assert settings.DATABASES["default"]["HOST"] == "db"
    assert email_settings(vars(settings))["EMAIL_HOST"] == "smtp.example.com"
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    assert check_environment() == []


def test_production_without_secrets_gives_check_errors_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    load(monkeypatch, APP_ENVIRONMENT="production", DATABASE_URL="mysql-ish")
    found = {message.obj: message.id for message in check_environment()}
    assert found == {
        "DJANGO_SECRET_KEY": "netrun.config.E001",
        "DJANGO_ALLOWED_HOSTS": "netrun.config.E001",
        "DATABASE_URL": "netrun.config.E003",
    }


def test_cores_import_without_django() -> None:
    code = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'django': raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import netrun.config, netrun.config.base, netrun.config.registry, netrun.env, netrun.env.cli\n"
        "class C(netrun.config.BaseConfig):\n"
        "    x: int = 1\n"
        "print(netrun.config.get_settings(C).x)\n"
    )
    environ = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environ, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("1")
