"""``docs/DEPENDENCY_DETECTION.md`` is generated from the integration matrix and cannot drift."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from netrun.core.deps import INTEGRATION_MATRIX

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_dependency_detection", DOCS / "gen_dependency_detection.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_page_matches_the_matrix() -> None:
    committed = (DOCS / "DEPENDENCY_DETECTION.md").read_text(encoding="utf-8")
    assert committed == _generator().render(), (
        "docs/DEPENDENCY_DETECTION.md is stale: run `python docs/gen_dependency_detection.py`"
    )


def test_every_matrix_row_is_on_the_page() -> None:
    page = _generator().render()
    for dep in INTEGRATION_MATRIX:
        assert f"`{dep.module}` | {dep.feature} |" in page


def test_main_writes_the_page(tmp_path: Path) -> None:
    generator = _generator()
    generator.OUTPUT = tmp_path / "out.md"
    generator.main()
    assert generator.OUTPUT.read_text(encoding="utf-8") == generator.render()
