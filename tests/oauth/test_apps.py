"""App wiring: label, settings changes rebuild clients, cores import without Django."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps

from netrun.errors import ResourceNotFoundError
from netrun.oauth.clients import get_client, get_service_client

ROOT = Path(__file__).resolve().parents[2]
CORES = [
    "netrun.oauth",
    "netrun.oauth._providers",
    "netrun.oauth._http",
    "netrun.oauth._discovery",
    "netrun.oauth._idtoken",
    "netrun.oauth._client",
    "netrun.oauth._client_credentials",
    "netrun.oauth._authlib",
]


def test_app_label() -> None:
    config = apps.get_app_config("netrun_oauth")
    assert config.name == "netrun.oauth"


def test_clients_are_shared_and_dropped_when_the_setting_changes(settings: Any) -> None:
    settings.NETRUN_OAUTH_PROVIDERS = {"g": {"type": "google", "client_id": "a"}}
    first = get_client("g")
    assert get_client("g") is first
    assert get_service_client("g") is get_service_client("g")
    settings.NETRUN_OAUTH_PROVIDERS = {"g": {"type": "google", "client_id": "b"}}
    assert get_client("g") is not first
    assert get_client("g").config.client_id == "b"


def test_unrelated_setting_changes_keep_the_clients(settings: Any) -> None:
    settings.NETRUN_OAUTH_PROVIDERS = {"g": {"type": "google", "client_id": "a"}}
    first = get_client("g")
    settings.NETRUN_OAUTH_LOGIN_MODE = "jwt"
    assert get_client("g") is first


def test_an_unknown_provider_is_not_found(settings: Any) -> None:
    settings.NETRUN_OAUTH_PROVIDERS = {}
    with pytest.raises(ResourceNotFoundError):
        get_client("g")


def test_the_cores_import_without_django() -> None:
    code = (
        "import sys, importlib, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('django', 'rest_framework'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "for name in sys.argv[1:]: importlib.import_module(name)\n"
        "print('ok')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code, *CORES], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
