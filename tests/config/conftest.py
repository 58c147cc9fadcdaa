"""Every test starts from a clean slate: no cached settings, no vault, an empty directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from netrun.config import clear_settings_cache, configure_key_vault
from netrun.config.django import clear_problems

PREFIXES = ("APP_", "LOG_LEVEL", "SHOP_", "AZURE_KEY_VAULT_URL")


@pytest.fixture(autouse=True)
def clean_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    for name in list(os.environ):
        if name.upper().startswith(PREFIXES):
            monkeypatch.delenv(name)
    # The default env_file is ".env" in the working directory: make that an empty tmp dir.
    monkeypatch.chdir(tmp_path)
    clear_settings_cache()
    clear_problems()
    configure_key_vault(None)
    yield tmp_path
    clear_settings_cache()
    clear_problems()
    configure_key_vault(None)
