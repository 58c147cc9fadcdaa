from __future__ import annotations

import subprocess
import sys

import netrun.logging


def test_every_public_name_is_exported() -> None:
    for name in netrun.logging.__all__:
        assert hasattr(netrun.logging, name), name
    assert sorted(netrun.logging.__all__) == netrun.logging.__all__


def test_the_package_imports_without_django_settings_and_without_importing_django() -> None:
    code = (
        "import sys, os\n"
        "os.environ.pop('DJANGO_SETTINGS_MODULE', None)\n"
        "import netrun.logging, netrun.logging.redaction, netrun.logging.asgi, "
        "netrun.logging.testing, netrun.logging.formatters\n"
        "assert 'django' not in sys.modules, sorted(m for m in sys.modules if 'django' in m)\n"
        "logger = netrun.logging.get_logger()\n"
        "print(netrun.logging.get_correlation_id())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "None"
