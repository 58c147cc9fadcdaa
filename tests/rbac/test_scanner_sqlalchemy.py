"""The scanner reports SQLAlchemy's escape paths like their Django counterparts (issue 15).

``scanner_sqlalchemy_project`` is a FastAPI-style package: mapped classes (a tenant mixin, a
``declared_attr`` column, a shared table) and a Core ``Table``; every escape in it is marked
``# seeded: NRxxx`` on the line it must be reported on, and the scoped forms beside them must
not be reported.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from netrun.rbac.scanner import RULES, TenantEscapePathScanner, to_sarif

FIXTURE = Path(__file__).parent / "scanner_sqlalchemy_project"
SQLALCHEMY_RULES = {"NR009", "NR010", "NR011"}


def seeded() -> set[tuple[str, int, str]]:
    expected = set()
    for path in FIXTURE.rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = re.search(r"# seeded: (NR\d{3})", line)
            if match:
                expected.add((path.relative_to(FIXTURE).as_posix(), number, match[1]))
    return expected


def test_finds_exactly_the_seeded_sqlalchemy_escapes() -> None:
    violations = TenantEscapePathScanner(project_root=FIXTURE).scan()
    found = {(v.path, v.line, v.rule) for v in violations}
    assert found == seeded()
    assert {rule for _, _, rule in found} == SQLALCHEMY_RULES
    assert set(RULES) >= SQLALCHEMY_RULES
    messages = {v.rule: v.message for v in violations}
    assert "Ticket.tenant_id" in messages["NR009"] or "Comment.tenant_id" in messages["NR009"]
    assert messages["NR011"].startswith("text() SQL on tenant table(s)")


def test_learns_sqlalchemy_models_and_tables() -> None:
    scanner = TenantEscapePathScanner(project_root=FIXTURE)
    scanner.scan()
    assert scanner.sqlalchemy_models == {"Ticket", "Comment", "audit_log"}
    assert {"tickets", "comments", "audit_log"} <= scanner.tenant_tables
    assert "countries" not in scanner.tenant_tables


def test_a_django_cursor_on_a_sqlalchemy_table_is_reported_too(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(
        "class Base: pass\n"
        "class Order(Base):\n"
        "    __tablename__ = 'orders'\n"
        "    tenant_id = mapped_column(String)\n"
    )
    (tmp_path / "report.py").write_text(
        "def totals(conn):\n"
        "    conn.exec_driver_sql('SELECT sum(total) FROM orders')\n"
        "    conn.exec_driver_sql('SELECT sum(total) FROM orders WHERE tenant_id = %s', ('t',))\n"
    )
    found = [(v.path, v.line, v.rule) for v in TenantEscapePathScanner(tmp_path).scan()]
    assert found == [("report.py", 2, "NR005")]


def test_sarif_names_the_sqlalchemy_rules(tmp_path: Path) -> None:
    output = tmp_path / "scan.sarif"
    with pytest.raises(SystemExit) as stop:
        call_command(
            "netrun_scan_tenant_escapes", str(FIXTURE), "--format", "sarif", "--output", str(output)
        )
    assert stop.value.code == 1
    report = json.loads(output.read_text())
    run = report["runs"][0]
    described = {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    assert described >= SQLALCHEMY_RULES
    results = {
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["ruleId"],
        )
        for r in run["results"]
    }
    assert results == seeded()
    assert json.loads(to_sarif([]))["runs"][0]["results"] == []
