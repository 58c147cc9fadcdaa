"""The package levels hold and the netrun packages import each other without cycles.

import-linter (``make contracts``) enforces the layers; this test checks the same graph
against :data:`netrun.core.registry.LEVELS` and adds what a layers contract cannot say:
siblings on one level may import each other, but never in a cycle.
"""

from __future__ import annotations

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
