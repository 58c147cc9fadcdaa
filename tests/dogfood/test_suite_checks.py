"""The code checks: exceptions, stdlib logging, package levels, the soft-dependency matrix."""

from __future__ import annotations

import gc
import sys
import types
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from netrun.core.deps import SoftDependency
from netrun.core.registry import LEVELS
from netrun.dogfood import suite
from netrun.errors import NetrunException, ResourceNotFoundError


def test_exceptions_hold_their_contract_in_the_suite() -> None:
    # A new public exception deriving from a builtin one fails this test: make it a
    # NetrunException, or add it to SANCTIONED_EXCEPTIONS with the reason it never needs one.
    result = suite.check_exceptions()
    assert result.status == "pass", result.details
    assert "NetrunException classes" in result.summary
    sanctioned = [d for d in result.details if d.startswith("sanctioned: ")]
    assert len(sanctioned) == len(suite.SANCTIONED_EXCEPTIONS), sanctioned


def test_a_duplicate_code_a_bad_code_and_a_bad_status_fail() -> None:
    class First(NetrunException):
        error_code = "DOGFOOD_DUPLICATE"

    class Second(NetrunException):
        error_code = "DOGFOOD_DUPLICATE"

    class Lower(NetrunException):
        error_code = "DOGFOOD_LOWER"
        status_code = 999

    # NetrunException refuses a malformed code in the class body; set after, as a
    # monkey-patching project could.
    Lower.error_code = "dogfood-lower"

    for cls in (First, Second, Lower):
        cls.__module__ = "dogfood_fake"
    result = suite.check_exceptions(("dogfood_fake",), classes=[First, Second, Lower])
    assert result.status == "fail"
    text = "\n".join(result.details)
    assert "error_code DOGFOOD_DUPLICATE is declared by 2 classes" in text
    assert "'dogfood-lower' is not SCREAMING_SNAKE_CASE" in text
    assert "status_code 999 is not an HTTP status" in text
    del First, Second, Lower, cls
    gc.collect()  # the fakes must not stay in NetrunException.__subclasses__()


def test_an_inherited_code_is_not_a_duplicate() -> None:
    class Refined(ResourceNotFoundError):
        pass

    Refined.__module__ = "dogfood_fake"
    result = suite.check_exceptions(("dogfood_fake",), classes=[ResourceNotFoundError, Refined])
    assert result.status == "pass", result.details
    del Refined
    gc.collect()


def test_public_builtin_exceptions_of_a_package_are_a_warning(
    make_package: Callable[[dict[str, str]], str],
) -> None:
    package = make_package(
        {
            "errors.py": """
                class PublicError(ValueError):
                    pass

                class _Private(Exception):
                    pass
            """,
            "broken.py": "raise RuntimeError('cannot import')\n",
        }
    )
    result = suite.check_exceptions((package,))
    assert result.status == "warn"
    assert any("PublicError(ValueError)" in d for d in result.details)
    assert not any("_Private" in d for d in result.details)
    assert any(f"{package}.broken: RuntimeError" in d for d in result.details)


def test_a_sanctioned_builtin_exception_is_listed_with_its_reason(
    make_package: Callable[[dict[str, str]], str],
) -> None:
    package = make_package({"errors.py": "class ParseError(ValueError):\n    pass\n"})
    sanctioned = {
        **suite.SANCTIONED_EXCEPTIONS,
        f"{package}.errors.ParseError": "caught by the parser's caller",
    }
    result = suite.check_exceptions((package,), sanctioned=sanctioned)
    assert result.status == "pass", result.details
    assert result.summary.endswith(f"; {len(sanctioned)} sanctioned builtin-derived exception(s)")
    [line] = [d for d in result.details if "ParseError" in d]
    assert line.startswith("sanctioned: ")
    assert line.endswith("ParseError(ValueError): caught by the parser's caller")


def test_the_suite_has_no_tenant_escape_but_its_sanctioned_helpers() -> None:
    result = suite.check_tenant_escapes()
    assert result.status == "pass", result.details
    reasons = {f"({why})" for why in suite.SANCTIONED_ESCAPES.values()}
    # Each sanctioned entry still matches code: a stale one would silently allow a new call.
    assert {detail[detail.rindex(" (") + 1 :] for detail in result.details} == reasons


ESCAPES = """
    from django.db import models
    from netrun.rbac.models import TenantScopedModel

    class Ticket(TenantScopedModel):
        title = models.CharField(max_length=100)

    def helper(env):
        return env.raw("NAME")

    def every_ticket():
        return Ticket.objects.raw("SELECT * FROM app_ticket")
"""


def test_a_tenant_escape_in_the_suite_fails_unless_sanctioned(
    make_package: Callable[[dict[str, str]], str],
) -> None:
    package = make_package({"app/models.py": ESCAPES})
    roots = suite.source_roots(package)
    failed = suite.check_tenant_escapes(roots, sanctioned={})
    assert failed.status == "fail"
    assert [d.split(" ")[0].rsplit("/", 2)[-2:] for d in failed.details] == [
        ["app", "models.py:9"],
        ["app", "models.py:12"],
    ]
    # A sanctioned helper matches its path, rule and line text: the other raw() still fails.
    helper = {("app/models.py", "NR003", 'env.raw("NAME")'): "reads the environment"}
    partly = suite.check_tenant_escapes(roots, sanctioned=helper)
    assert partly.status == "fail"
    assert partly.summary == "1 escape path(s)"
    assert partly.details[0].endswith('Ticket.objects.raw("SELECT * FROM app_ticket")')
    assert partly.details[1].startswith("sanctioned: ")
    assert partly.details[1].endswith("(reads the environment)")


def test_tenant_escapes_are_skipped_without_the_scanner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "netrun.rbac.scanner", types.ModuleType("netrun.rbac.scanner"))
    result = suite.check_tenant_escapes()
    assert (result.status, result.summary) == (
        "skip", "skipped: not available (netrun.rbac.scanner)",
    )  # fmt: skip


def test_the_suite_never_logs_through_a_stdlib_logger() -> None:
    result = suite.check_stdlib_logging()
    assert result.status == "pass", result.details


def test_stdlib_logging_in_a_module_fails(make_package: Callable[[dict[str, str]], str]) -> None:
    package = make_package(
        {
            "service.py": "import logging\nlogger = logging.getLogger(__name__)\n",
            "other.py": "from logging import getLogger\n",
            "bad_syntax.py": "def (:\n",
            "logging/bridge.py": "import logging\n",
        }
    )
    roots = suite.source_roots(package)
    result = suite.check_stdlib_logging(roots)
    assert result.status == "fail"
    text = "\n".join(result.details)
    assert "service.py:1: import logging" in text
    assert "service.py:2: getLogger(...)" in text
    assert "other.py:1: from logging import ..." in text
    assert "bad_syntax.py: cannot parse" in text
    assert "bridge.py" not in text  # the logging folder is the bridge, excluded


def test_package_levels_hold_in_the_suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = suite.check_levels()
    assert result.status == "pass", result.details
    # dogfood runs in a user's project: grimp's cache is not written there.
    assert list(tmp_path.iterdir()) == []


def _edges(graph: dict[str, set[str]]) -> Callable[[Sequence[str]], dict[str, set[str]]]:
    return lambda packages: {name: set(graph.get(name, ())) for name in packages}


def test_an_upward_import_and_a_cycle_fail() -> None:
    result = suite.check_levels(
        LEVELS,
        edges=_edges(
            {
                "netrun.core": {"netrun.llm"},
                "netrun.cors": {"netrun.ratelimit"},
                "netrun.ratelimit": {"netrun.cors"},
            }
        ),
    )
    assert result.status == "fail"
    assert "netrun.core (level 0) imports netrun.llm (level 3)" in result.details
    assert "import cycle: netrun.cors -> netrun.ratelimit -> netrun.cors" in result.details


def test_levels_are_skipped_without_grimp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(suite, "is_available", lambda module: False)
    result = suite.check_levels()
    assert result.status == "skip"
    assert result.summary.startswith("skipped: grimp is not installed")


def test_the_soft_dependency_matrix_matches_the_installation() -> None:
    result = suite.check_soft_dependencies()
    assert result.status == "pass", result.details


def test_a_matrix_that_does_not_match_fails(
    make_package: Callable[[dict[str, str]], str],
) -> None:
    broken = make_package({"__init__.py": "raise ImportError('half installed')\n"})
    rows = [
        SoftDependency("netrun.nowhere", "x", "json", "unknown package"),
        SoftDependency("netrun.llm", "openai", "json", "unknown extra", "no-such-extra"),
        SoftDependency("netrun.llm", "netrun-gone", "netrun.gone", "missing netrun module"),
        SoftDependency("netrun.llm", "broken", broken, "found but broken"),
        SoftDependency("netrun.llm", "absent", "dogfood_absent_module", "not installed", "llm"),
    ]
    result = suite.check_soft_dependencies(rows)
    assert result.status == "fail"
    text = "\n".join(result.details)
    assert "netrun.nowhere is not a netrun package" in text
    assert "extra [no-such-extra] is not declared" in text
    assert "the netrun module is missing" in text
    assert "found but fails to import: ImportError: half installed" in text
    assert (
        'missing: netrun.llm -> absent (dogfood_absent_module): not installed (pip install "netrun[llm]")'
        in text
    )


def test_without_distribution_metadata_extras_are_not_compared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(suite, "_netrun_extras", lambda: None)
    row = SoftDependency("netrun.llm", "json", "json", "any", "no-such-extra")
    result = suite.check_soft_dependencies([row])
    assert result.status == "pass"
    assert result.details[0].startswith("netrun's distribution metadata not found")


def test_source_roots_of_a_module_is_its_folder() -> None:
    assert suite.source_roots("netrun.dogfood.suite") == [Path(suite.__file__).parent]


def test_import_all_reports_a_package_that_fails() -> None:
    assert suite.import_all(["dogfood_absent_module"])[0].startswith(
        "dogfood_absent_module: ModuleNotFoundError"
    )
