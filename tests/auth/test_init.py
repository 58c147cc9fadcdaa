"""The package root: public API, importable without Django, the JWT core framework-free."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import netrun.auth
from netrun.auth import (
    AuthenticationError,
    TokenExpiredError,
    TokenInvalidError,
    TokenRejectedError,
    failure_reason,
)
from netrun.errors import PermissionDeniedError, TenantAccessDeniedError
from netrun.errors import TokenInvalidError as ErrorsTokenInvalidError

ROOT = Path(__file__).resolve().parents[2]

CORE = [
    "netrun.auth",
    "netrun.auth.conf",
    "netrun.auth.keys",
    "netrun.auth.tokens",
    "netrun.auth.denylist",
    "netrun.auth.idp",
    "netrun.auth.authz",
    "netrun.auth.audit",
    "netrun.auth._authenticate",
    "netrun.auth.exceptions",
    "netrun.auth._simplejwt_settings",
]


def test_public_api() -> None:
    for name in netrun.auth.__all__:
        assert hasattr(netrun.auth, name), name
    assert TokenInvalidError is ErrorsTokenInvalidError  # the seeds' names, one hierarchy
    assert issubclass(TokenRejectedError, TokenInvalidError)


def test_failure_reasons() -> None:
    assert failure_reason(TokenRejectedError("unknown_kid")) == "unknown_kid"
    assert failure_reason(TokenExpiredError()) == "expired"
    assert failure_reason(TenantAccessDeniedError()) == "tenant_mismatch"
    assert failure_reason(PermissionDeniedError()) == "permission_denied"
    assert failure_reason(AuthenticationError()) == "unauthenticated"
    assert failure_reason(ValueError()) == "error"


def test_jwt_core_imports_without_any_web_framework() -> None:
    code = (
        "import sys, importlib, importlib.abc\n"
        "BLOCKED = ('django', 'rest_framework', 'fastapi', 'starlette', 'celery')\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in BLOCKED: raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "for module in sys.argv[1:]: importlib.import_module(module)\n"
        "from netrun.auth import AuthConfig, JWTManager\n"
        "from cryptography.hazmat.primitives.asymmetric import ec\n"
        "from cryptography.hazmat.primitives import serialization as s\n"
        "pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption())\n"
        "m = JWTManager(AuthConfig(jwt_algorithm='ES256', jwt_private_key=pem, _env_file=None))\n"
        "assert m.verify(m.create_access_token('1'))['sub'] == '1'\n"
        "print('ok')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code, *CORE], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")
