"""Rendering validation reports: ``text`` for people, ``json`` for scripts, ``sarif`` for CI.

SARIF 2.1.0 is what GitHub code scanning (and most CI dashboards) ingest, so findings show
up as annotations on the ``.env.example`` or committed ``.env`` line they concern.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from netrun.core import __version__
from netrun.env._validate import RULES, Report

__all__ = ["render", "render_json", "render_sarif", "render_text"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render_text(reports: Sequence[Report], *, strict: bool = False) -> str:
    lines = []
    for report in reports:
        for finding in report.findings:
            where = f"{finding.file}:{finding.line}" if finding.line else finding.file
            lines.append(f"{where}: {finding.severity}[{finding.rule}] {finding.message}")
        state = "OK" if report.ok(strict=strict) else "FAILED"
        lines.append(
            f"{report.file}: {state} ({report.checked} variables, "
            f"{len(report.errors)} errors, {len(report.warnings)} warnings)"
        )
    return "\n".join(lines)


def render_json(reports: Sequence[Report], *, strict: bool = False) -> str:
    payload = {
        "ok": all(report.ok(strict=strict) for report in reports),
        "reports": [
            {
                "file": report.file,
                "ok": report.ok(strict=strict),
                "checked": report.checked,
                "errors": len(report.errors),
                "warnings": len(report.warnings),
                "findings": [finding.to_dict() for finding in report.findings],
            }
            for report in reports
        ],
    }
    return json.dumps(payload, indent=2)


def _uri(path: str) -> str:
    # SARIF wants a URI; a path relative to the working directory maps onto the repository.
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            candidate = candidate.relative_to(Path.cwd())
        except ValueError:
            return candidate.as_uri()
    return candidate.as_posix()


def render_sarif(reports: Sequence[Report], *, strict: bool = False) -> str:
    rule_ids = list(RULES)
    results: list[dict[str, Any]] = []
    for report in reports:
        for finding in report.findings:
            location: dict[str, Any] = {"artifactLocation": {"uri": _uri(finding.file)}}
            if finding.line:
                location["region"] = {"startLine": finding.line}
            results.append(
                {
                    "ruleId": f"netrun-env/{finding.rule}",
                    "ruleIndex": rule_ids.index(finding.rule),
                    "level": "error" if finding.severity == "error" or strict else "warning",
                    "message": {"text": finding.message},
                    "locations": [{"physicalLocation": location}],
                }
            )
    sarif = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "netrun-env",
                        "version": __version__,
                        "informationUri": "https://netrun.readthedocs.io/en/latest/apps/env/",
                        "rules": [
                            {
                                "id": f"netrun-env/{rule}",
                                "name": rule,
                                "shortDescription": {"text": description},
                                "defaultConfiguration": {"level": severity},
                            }
                            for rule, (severity, description) in RULES.items()
                        ],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2)


def render(reports: Sequence[Report], output_format: str, *, strict: bool = False) -> str:
    renderers = {"text": render_text, "json": render_json, "sarif": render_sarif}
    return renderers[output_format](reports, strict=strict)
