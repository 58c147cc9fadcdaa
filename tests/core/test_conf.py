from __future__ import annotations

import subprocess
import sys

from django.test import override_settings

from netrun.core.conf import django_settings_configured, get_setting


def test_get_setting_reads_django_settings_at_call_time() -> None:
    assert django_settings_configured() is True
    assert get_setting("NETRUN_CORE_PROBE", "default") == "default"
    with override_settings(NETRUN_CORE_PROBE="overridden"):
        assert get_setting("NETRUN_CORE_PROBE", "default") == "overridden"
    assert get_setting("NETRUN_CORE_PROBE") is None


def test_get_setting_returns_the_default_without_django_settings() -> None:
    code = (
        "from netrun.core.conf import get_setting, django_settings_configured\n"
        "assert django_settings_configured() is False\n"
        "import django.conf\n"
        "assert django_settings_configured() is False\n"
        "print(get_setting('DEBUG', 'fallback'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.stdout.strip() == "fallback"
