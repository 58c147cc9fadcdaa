"""The package root and the framework-neutral cores import without Django set up."""

from __future__ import annotations

import subprocess
import sys


def test_package_root_imports_without_django_settings_or_models() -> None:
    code = (
        "import sys, netrun.rbac, netrun.rbac.testing, netrun.rbac.scanner, netrun.rbac._permissions;"
        "assert 'netrun.rbac.models' not in sys.modules;"
        "assert 'django.db.models' not in sys.modules, sorted(m for m in sys.modules if m.startswith('django'));"
        "print(len(netrun.rbac.__all__))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, env={"PATH": ""}
    )
    assert result.returncode == 0, result.stderr
