from __future__ import annotations

import importlib.util
import sys

import pytest

from netrun.core.deps import (
    INTEGRATION_MATRIX,
    MissingDependencyError,
    distribution_version,
    integration_report,
    is_available,
    require,
)


def test_is_available_matches_what_python_can_import() -> None:
    assert is_available("structlog") is True
    assert is_available("netrun.core") is True
    assert is_available("netrun_surely_not_a_real_module") is False
    # A missing parent package is "not available", not an exception.
    assert is_available("netrun_missing_parent.child") is False


def test_is_available_does_not_import_the_module() -> None:
    name = "tests.core._never_imported_probe"
    assert is_available(name) is True
    assert name not in sys.modules


def test_require_names_the_feature_and_the_extra() -> None:
    require("structlog", feature="logging")
    with pytest.raises(MissingDependencyError) as excinfo:
        require("netrun_not_installed_lib", feature="Policy-based access control", extra="casbin")
    message = str(excinfo.value)
    assert "Policy-based access control" in message
    assert 'pip install "netrun[casbin]"' in message
    assert isinstance(excinfo.value, ImportError)
    no_extra = MissingDependencyError("somelib", "A feature")
    assert "pip install somelib" in str(no_extra)


def test_the_matrix_keeps_every_row_of_the_seeds() -> None:
    rows = {(row.package, row.dependency, row.feature) for row in INTEGRATION_MATRIX}
    seeds = {
        ("netrun.auth", "netrun-logging", "Structured auth event logging"),
        ("netrun.auth", "casbin", "Advanced RBAC policies"),
        ("netrun.config", "netrun-errors", "Standardized config exceptions"),
        ("netrun.config", "netrun-logging", "Config change logging"),
        ("netrun.config", "azure-identity", "Azure Key Vault integration"),
        ("netrun.errors", "netrun-logging", "Correlation ID in error responses"),
        ("netrun.llm", "netrun-logging", "LLM request/response logging"),
        ("netrun.llm", "openai", "OpenAI provider support"),
        ("netrun.llm", "anthropic", "Anthropic provider support"),
        ("netrun.rbac", "netrun-logging", "RBAC decision logging"),
        ("netrun.rbac", "casbin", "Policy-based access control"),
        ("netrun.db_pool", "netrun-logging", "Connection pool metrics"),
    }
    assert seeds <= rows


def test_every_extra_in_the_matrix_exists_in_the_distribution() -> None:
    import importlib.metadata

    extras = set(importlib.metadata.metadata("netrun").get_all("Provides-Extra") or [])
    assert {row.extra for row in INTEGRATION_MATRIX if row.extra} <= extras


def test_integration_report_is_truthful_for_this_environment() -> None:
    report = integration_report()
    assert len(report) == len(INTEGRATION_MATRIX)
    for row in report:
        module = str(row["module"])
        try:
            expected = importlib.util.find_spec(module) is not None
        except ImportError:
            expected = False
        assert row["available"] is expected, module
        assert (row["version"] is not None) is expected or module.startswith("netrun.")


def test_distribution_version() -> None:
    assert distribution_version("netrun") == "2.1.0.dev0"
    assert distribution_version("netrun-no-such-distribution") is None
