"""The dogfood report: one result per check, as text for people and JSON for CI."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["CheckResult", "Report", "Status"]

Status = Literal["pass", "fail", "warn", "skip"]

_MARKS: dict[str, str] = {"pass": "PASS", "fail": "FAIL", "warn": "WARN", "skip": "SKIP"}


@dataclass
class CheckResult:
    """The outcome of one check: ``skip`` always says why, and never counts as a pass."""

    name: str
    status: Status
    summary: str
    details: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "summary": self.summary,
            "details": list(self.details),
        }


@dataclass
class Report:
    """Every check's result; :meth:`exit_code` is what CI sees."""

    results: list[CheckResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(_MARKS, 0)
        for result in self.results:
            counts[result.status] += 1
        return counts

    def ok(self, *, strict: bool = False, fail_on_skip: bool = False) -> bool:
        """No failure; with ``strict`` no warning either; with ``fail_on_skip`` no skip."""
        bad = {"fail"} | ({"warn"} if strict else set()) | ({"skip"} if fail_on_skip else set())
        return not any(result.status in bad for result in self.results)

    def exit_code(self, *, strict: bool = False, fail_on_skip: bool = False) -> int:
        return 0 if self.ok(strict=strict, fail_on_skip=fail_on_skip) else 1

    def get(self, name: str) -> CheckResult:
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(name)

    def as_dict(self, *, strict: bool = False, fail_on_skip: bool = False) -> dict[str, Any]:
        return {
            "ok": self.ok(strict=strict, fail_on_skip=fail_on_skip),
            "counts": self.counts(),
            "checks": [result.as_dict() for result in self.results],
        }

    def to_json(self, *, strict: bool = False, fail_on_skip: bool = False) -> str:
        return json.dumps(self.as_dict(strict=strict, fail_on_skip=fail_on_skip), indent=2)

    def to_text(self, *, strict: bool = False, fail_on_skip: bool = False) -> str:
        lines = ["Netrun dogfood", ""]
        for result in self.results:
            lines.append(f"[{_MARKS[result.status]}] {result.name}: {result.summary}")
            lines.extend(f"       {detail}" for detail in result.details)
        counts = self.counts()
        verdict = "OK" if self.ok(strict=strict, fail_on_skip=fail_on_skip) else "PROBLEMS FOUND"
        tally = ", ".join(f"{count} {status}" for status, count in counts.items())
        lines += ["", f"{verdict} ({tally})"]
        return "\n".join(lines)
