"""``--json`` / ``--format json|sarif``: stdout is the document alone, logs go to stderr.

Each command runs in a subprocess, as CI runs it (``cmd > report.sarif``), in a project whose
logging writes every event from DEBUG up to stdout; stdout must parse with ``json.loads``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STRONG = "k3J9x!Qm2Lp8Zr5Tw7Yb"
NOISY_SETTINGS = "tests.env.settings_stdout_logging"


def run(args: list[str], cwd: Path, **env: str) -> tuple[int, Any, str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    for name in ("DJANGO_SETTINGS_MODULE", "PYTHONWARNINGS"):
        environment.pop(name, None)
    environment.update(env)
    result = subprocess.run(
        args, cwd=cwd, env=environment, capture_output=True, text=True, timeout=300, check=False
    )
    try:
        document = json.loads(result.stdout)
    except ValueError:
        pytest.fail(
            f"stdout is not a JSON document:\n{result.stdout}\n--- stderr:\n{result.stderr}"
        )
    return result.returncode, document, result.stderr


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    path = tmp_path / ".env"
    path.write_text(f"NOISY_TOKEN={STRONG}\nSURPRISE=1\n", encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("output_format", ["json", "sarif"])
def test_netrun_env_validate_prints_the_document_alone(env_file: Path, output_format: str) -> None:
    code, document, stderr = run(
        [str(BIN / "netrun-env"), "validate", str(env_file), "--schema",
         "tests.env.noisy_schema:NoisyConfig", "--format", output_format],
        env_file.parent,
    )  # fmt: skip
    assert code == 0
    if output_format == "json":
        assert document["reports"][0]["warnings"] == 1
    else:
        assert document["version"] == "2.1.0"
        assert document["runs"][0]["results"][0]["ruleId"] == "netrun-env/unknown"
    # The logs are kept, on stderr: the module's own line, config_loaded, env_validated.
    assert "schema_module_imported" in stderr
    assert "config_loaded" in stderr
    assert "env_validated" in stderr


@pytest.mark.slow
def test_manage_py_netrun_env_in_a_project_logging_to_stdout(env_file: Path) -> None:
    code, document, stderr = run(
        [sys.executable, "-m", "django", "netrun_env", "validate", str(env_file),
         "--format", "sarif", "--allow-unknown"],
        env_file.parent, DJANGO_SETTINGS_MODULE=NOISY_SETTINGS,
    )  # fmt: skip
    assert code == 0
    assert document["runs"][0]["results"] == []
    assert '"event": "env_validated"' in stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [
        [str(BIN / "netrun"), "doctor", "--json", "--settings", NOISY_SETTINGS],
        [sys.executable, "-m", "django", "netrun_doctor", "--json", "--settings", NOISY_SETTINGS],
    ],
    ids=["netrun-doctor", "manage.py-netrun_doctor"],
)
def test_doctor_json_is_the_document_alone(command: list[str], tmp_path: Path) -> None:
    code, document, stderr = run(command, tmp_path)
    assert {"packages", "checks"} <= set(document)
    assert code in (0, 1)  # a failing check is in the document, not on stdout beside it
    assert "config_loaded" in stderr  # the checks built every settings class, at DEBUG


@pytest.mark.slow
@pytest.mark.postgres
def test_db_pool_json_with_a_pool_opened_and_checked(tmp_path: Path, postgres_dsn: str) -> None:
    code, document, stderr = run(
        [sys.executable, "-m", "django", "netrun_db_pool", "--json", "--url", "--health"],
        tmp_path, DJANGO_SETTINGS_MODULE=NOISY_SETTINGS, DB_URL=postgres_dsn,
    )  # fmt: skip
    assert code == 0
    assert document["health"][0]["healthy"] is True
    assert "pool_" in stderr  # the pool's own events went to stderr


@pytest.mark.slow
@pytest.mark.parametrize("output_format", ["json", "sarif"])
def test_scan_tenant_escapes_prints_the_document_alone(tmp_path: Path, output_format: str) -> None:
    (tmp_path / "views.py").write_text(
        "from myapp.models import Ticket\n\ndef leak():\n    return Ticket.all_tenants.all()\n",
        encoding="utf-8",
    )
    code, document, stderr = run(
        [sys.executable, "-m", "django", "netrun_scan_tenant_escapes", str(tmp_path),
         "--format", output_format],
        tmp_path, DJANGO_SETTINGS_MODULE=NOISY_SETTINGS,
    )  # fmt: skip
    assert code in (0, 1)
    assert isinstance(document, (list, dict))
    assert stderr == "" or "Traceback" not in stderr
