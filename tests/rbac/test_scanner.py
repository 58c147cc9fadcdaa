"""The tenant escape path scanner finds every seeded escape and nothing in the example project."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from netrun.rbac.scanner import (
    RULES,
    TenantEscapePathScanner,
    Violation,
    to_json,
    to_sarif,
    to_text,
)

FIXTURE = Path(__file__).parent / "scanner_fixture_project"
ROOT = Path(__file__).resolve().parents[2]


def seeded() -> set[tuple[str, int, str]]:
    expected = set()
    for path in FIXTURE.rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = re.search(r"# seeded: (NR\d{3})", line)
            if match:
                expected.add((path.relative_to(FIXTURE).as_posix(), number, match[1]))
    return expected


def test_finds_exactly_the_seeded_escape_paths() -> None:
    violations = TenantEscapePathScanner(project_root=FIXTURE).scan()
    found = {(v.path, v.line, v.rule) for v in violations}
    assert found == seeded()
    # NR009-NR011 (SQLAlchemy) are seeded in test_scanner_sqlalchemy.py's fixture.
    assert {rule for _, _, rule in found} == set(RULES) - {"NR009", "NR010", "NR011"}
    assert all(v.snippet and v.message for v in violations)


def test_learns_tables_from_models_and_meta() -> None:
    scanner = TenantEscapePathScanner(project_root=FIXTURE, tenant_tables=["legacy_orders"])
    scanner.scan()
    assert {
        "shop_order",
        "shop_invoice",
        "catalogue_product",
        "clean_page",
        "legacy_orders",
    } <= scanner.tenant_tables
    assert {"Order", "Invoice", "Product", "Page"} <= scanner.scoped_models


def test_files_that_do_not_parse_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def broken(:\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "lib.py").write_text("x.raw('')\n")
    assert TenantEscapePathScanner(project_root=tmp_path).scan() == []


def test_exclude_globs() -> None:
    violations = TenantEscapePathScanner(project_root=FIXTURE, exclude=["shop/*"]).scan()
    assert violations == []


def test_the_example_project_is_clean() -> None:
    assert TenantEscapePathScanner(project_root=ROOT / "example_project").scan() == []


def test_reports() -> None:
    violations = [Violation("a.py", 3, "NR003", "raw() SQL", "x.raw('')")]
    assert "a.py:3: NR003" in to_text(violations)
    assert json.loads(to_json(violations))[0]["rule"] == "NR003"
    sarif = json.loads(to_sarif(violations))
    assert sarif["version"] == "2.1.0"
    result = sarif["runs"][0]["results"][0]
    assert result["ruleId"] == "NR003"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 3


def test_command_exit_codes_and_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        call_command("netrun_scan_tenant_escapes", str(FIXTURE), "--format", "json")
    assert exit_info.value.code == 1
    assert len(json.loads(capsys.readouterr().out)) == len(seeded())
    output = tmp_path / "report.sarif"
    with pytest.raises(SystemExit):
        call_command(
            "netrun_scan_tenant_escapes", str(FIXTURE), "--format", "sarif", "--output", str(output)
        )
    assert json.loads(output.read_text())["runs"][0]["results"]
    call_command("netrun_scan_tenant_escapes", str(ROOT / "example_project"))
    assert "0 tenant escape path(s) found." in capsys.readouterr().out
