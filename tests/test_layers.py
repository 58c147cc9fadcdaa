"""The package levels hold and the netrun packages import each other without cycles.

import-linter (``make contracts``) enforces the layers; this test checks the same graph
against :data:`netrun.core.registry.LEVELS` and adds what a layers contract cannot say:
siblings on one level may import each other, but never in a cycle. Module by module, no
import at module scope closes a cycle either; an import inside a function (how
``netrun.llm.policy.ledgers._default`` picks the Django ledger when the setting names it) runs when
called, after every module has loaded, and does not count.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import grimp

from netrun.core.registry import LEVELS, NETRUN_APPS


def _package_graph() -> dict[str, set[str]]:
    graph = grimp.build_graph(*NETRUN_APPS)
    edges: dict[str, set[str]] = {name: set() for name in NETRUN_APPS}
    for importer in NETRUN_APPS:
        for imported in NETRUN_APPS:
            if importer != imported and graph.direct_import_exists(
                importer=importer, imported=imported, as_packages=True
            ):
                edges[importer].add(imported)
    return edges


def _find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "active"
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "active":
                return [*path, node, nxt]
            if nxt not in state and (found := visit(nxt, [*path, node])):
                return found
        state[node] = "done"
        return None

    for node in edges:
        if node not in state and (found := visit(node, [])):
            return found
    return None


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_scope_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            if "TYPE_CHECKING" in ast.unparse(node.test):
                yield from _module_scope_imports(node.orelse)
            else:
                yield from _module_scope_imports([*node.body, *node.orelse])
        elif isinstance(node, ast.Try):
            handlers = [statement for handler in node.handlers for statement in handler.body]
            yield from _module_scope_imports([*node.body, *handlers, *node.orelse, *node.finalbody])


def _module_graph(root: Path) -> dict[str, set[str]]:
    """Each module of the package at ``root`` -> the package's modules it imports at load."""
    files = {_module_name(root, path): path for path in root.rglob("*.py")}
    files = {name: path for name, path in files.items() if ".migrations" not in name}
    edges: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in _module_scope_imports(ast.parse(path.read_text()).body):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
                continue
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                targets.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base)
        edges[name] = {target for target in targets if target in files and target != name}
    return edges


def test_packages_import_only_their_level_or_below() -> None:
    for importer, imported in _package_graph().items():
        for target in imported:
            assert LEVELS[target] <= LEVELS[importer], f"{importer} imports {target}"


def test_no_import_cycle_between_packages() -> None:
    assert _find_cycle(_package_graph()) is None


def test_the_cycle_finder_finds_cycles() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert _find_cycle(edges) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_between_modules_at_module_scope() -> None:
    netrun_root = Path(__file__).resolve().parents[1] / "netrun"
    graph = _module_graph(netrun_root)
    assert len(graph) > 200  # the whole tree was read
    assert _find_cycle(graph) is None


def test_the_module_graph_sees_a_planted_cycle_and_ignores_lazy_imports(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import c\n"
        "def later():\n    from pkg import a\n"
    )
    (package / "c.py").write_text("from pkg.sub.b import later\n")
    assert _find_cycle(_module_graph(package)) is None
    (package / "sub" / "b.py").write_text(
        "try:\n    from .. import a\nexcept ImportError:\n    pass\n"
    )
    assert _find_cycle(_module_graph(package)) == ["pkg.a", "pkg.sub.b", "pkg.a"]
