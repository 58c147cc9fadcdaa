"""import-linter contracts that derive what they check from the source tree (``make contracts``).

``framework_neutral``
    Every module of the root packages is a framework-neutral core unless its place says it is
    glue: a name in ``glue`` (fnmatch patterns over dotted names: ``*.django``, ``*.contrib.*``,
    ...) or a module in ``glue_modules`` (Django code that predates the naming convention, each
    with its reason in pyproject.toml). A core imports none of ``forbidden_modules`` directly.
    A new module is a core by default, so it cannot go unchecked; a ``glue_modules`` entry that
    no longer exists, or no longer imports a framework, breaks the contract too, so the list
    only shrinks.

``private_names``
    An app (a root package) uses another app's public names only: no import of a private module
    (``netrun.logging._config``) or a private name (``from netrun.errors.django import _x``)
    of another app, no name missing from the ``__all__`` of the module it comes from, and no
    private attribute of another app's module (``registry._cache``). Within an app, ``_x``
    modules and names are free to use.

Both read the files themselves (``ast``), so they see what a module-level graph cannot: names
and attributes. ``tests/test_import_contracts.py`` plants a violation of each.
"""

from __future__ import annotations

import ast
import fnmatch
import importlib.util
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck

__all__ = [
    "Finding",
    "FrameworkNeutralContract",
    "PrivateNamesContract",
    "framework_imports",
    "framework_neutral_modules",
    "module_files",
    "private_crossings",
    "stale_glue_modules",
]


@dataclass(frozen=True, order=True)
class Finding:
    """One broken rule: where (module and line) and what."""

    module: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line}: {self.message}"


# ----------------------------------------------------------------------------- the source tree


def module_files(packages: Iterable[str]) -> dict[str, Path]:
    """Every module of ``packages`` (dotted name -> file), found on disk without importing it."""
    found: dict[str, Path] = {}
    for package in packages:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.submodule_search_locations is None:
            raise ValueError(f"{package!r} is not an importable package")
        for location in spec.submodule_search_locations:
            root = Path(location)
            for path in sorted(root.rglob("*.py")):
                parts = [package, *path.relative_to(root).with_suffix("").parts]
                if parts[-1] == "__init__":
                    parts.pop()
                found[".".join(parts)] = path
    return found


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _owner(module: str, packages: Sequence[str]) -> str | None:
    """The root package (the app) that ``module`` belongs to."""
    for package in packages:
        if module == package or module.startswith(package + "."):
            return package
    return None


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str, str]]:
    """``(line, imported thing, local name)`` for every import, at any depth of the file."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    yield node.lineno, alias.name, alias.asname
                    continue
                # `import a.b.c` imports a.b.c and binds `a` (to the package a).
                top = alias.name.partition(".")[0]
                yield node.lineno, alias.name, "" if top != alias.name else top
                if top != alias.name:
                    yield node.lineno, top, top
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(node, module, is_package)
            yield node.lineno, source, ""
            for alias in node.names:
                if alias.name != "*":
                    yield node.lineno, f"{source}.{alias.name}", alias.asname or alias.name


# ----------------------------------------------------------------------------- framework-neutral


def _is_glue(module: str, glue: Iterable[str], glue_modules: Iterable[str]) -> bool:
    explicit = set(glue_modules)
    if any(module == m or module.startswith(m + ".") for m in explicit):
        return True
    return any(fnmatch.fnmatchcase(module, pattern) for pattern in glue)


def framework_neutral_modules(
    packages: Sequence[str], glue: Iterable[str], glue_modules: Iterable[str] = ()
) -> list[str]:
    """The modules of ``packages`` that are cores: every one that is not glue by its place."""
    glue, glue_modules = list(glue), list(glue_modules)
    return sorted(m for m in module_files(packages) if not _is_glue(m, glue, glue_modules))


def framework_imports(path: Path, module: str, forbidden: Iterable[str]) -> list[Finding]:
    """The direct imports of a ``forbidden`` package (or its submodules) in one file."""
    roots = set(forbidden)
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    lines: dict[int, str] = {}
    for line, imported, _ in _imports(tree, module, path.name == "__init__.py"):
        if imported.partition(".")[0] in roots:
            lines.setdefault(line, imported)  # `from django.db import models`: one finding
    return [Finding(module, line, f"imports {imported}") for line, imported in lines.items()]


class FrameworkNeutralContract(Contract):
    """Cores (every module that is not glue by its place) import no ``forbidden_modules``."""

    forbidden_modules = fields.ListField(subfield=fields.StringField())
    glue = fields.ListField(subfield=fields.StringField())
    glue_modules = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: Any, verbose: bool) -> ContractCheck:
        packages = _root_packages(self.session_options)
        forbidden: list[str] = list(self.forbidden_modules)  # type: ignore[call-overload]
        glue: list[str] = list(self.glue)  # type: ignore[call-overload]
        glue_modules: list[str] = list(self.glue_modules or [])  # type: ignore[call-overload]
        files = module_files(packages)
        cores = framework_neutral_modules(packages, glue, glue_modules)
        findings = [
            finding
            for module in cores
            for finding in framework_imports(files[module], module, forbidden)
        ]
        findings += stale_glue_modules(files, cores, glue_modules, forbidden)
        return ContractCheck(
            kept=not findings, metadata={"findings": sorted(set(findings)), "cores": len(cores)}
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        _render(
            check,
            "A core imports a framework. Move the import into glue (django.py, drf.py, celery.py, "
            "contrib/, ...), or name the module as glue in pyproject.toml, with why:",
        )


def stale_glue_modules(
    files: dict[str, Path],
    cores: Iterable[str],
    glue_modules: Iterable[str],
    forbidden: Iterable[str],
) -> list[Finding]:
    """``glue_modules`` entries that do not exist, or import neither a framework nor glue."""
    core_set = set(cores)
    glue = [m for m in files if m not in core_set]
    findings = []
    for entry in glue_modules:
        members = [m for m in files if m == entry or m.startswith(entry + ".")]
        if not members:
            findings.append(Finding(entry, 0, "is listed in glue_modules but does not exist"))
        elif not any(_uses_glue(files[m], m, forbidden, glue) for m in members):
            findings.append(
                Finding(entry, 0, "is listed in glue_modules but imports no framework or glue")
            )
    return findings


def _uses_glue(path: Path, module: str, forbidden: Iterable[str], glue: Sequence[str]) -> bool:
    if framework_imports(path, module, forbidden):
        return True
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return any(
        imported == other or imported.startswith(other + ".")
        for _, imported, _ in _imports(tree, module, path.name == "__init__.py")
        for other in glue
        if other != module
    )


# ----------------------------------------------------------------------------- private names


def private_crossings(packages: Sequence[str]) -> list[Finding]:
    """Every use of another app's private module, name or attribute in ``packages``.

    A name imported from another app's module must be in that module's ``__all__`` when it
    has one: the ``__all__`` is the module's public API.
    """
    files = module_files(packages)
    exported = _Exports(files)
    findings: list[Finding] = []
    for module, path in files.items():
        app = _owner(module, packages)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        bound: dict[str, str] = {}  # local name -> the module or name it was imported as
        reported: set[int] = set()
        for line, imported, local in _imports(tree, module, path.name == "__init__.py"):
            if local:
                bound[local] = imported
            owner = _owner(imported, packages)
            if owner is None or owner == app or line in reported:
                continue
            if any(_is_private(part) for part in imported[len(owner) + 1 :].split(".")):
                reported.add(line)
                findings.append(Finding(module, line, f"imports {imported}, private to {owner}"))
            elif not exported.is_public(imported):
                reported.add(line)
                source, _, name = imported.rpartition(".")
                findings.append(Finding(module, line, f"imports {name}, not in {source}.__all__"))
        findings.extend(_private_attributes(tree, module, app, bound, packages))
    return sorted(set(findings))


class _Exports:
    """The ``__all__`` of each module (read from its source), for "is this name public"."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files
        self.cache: dict[str, frozenset[str] | None] = {}

    def is_public(self, imported: str) -> bool:
        if imported in self.files:
            return True  # a module
        source, _, name = imported.rpartition(".")
        if source not in self.files:
            return True  # not a from-import of a module we know
        names = self.all_of(source)
        return names is None or name in names

    def all_of(self, module: str) -> frozenset[str] | None:
        if module not in self.cache:
            self.cache[module] = None
            tree = ast.parse(self.files[module].read_text(encoding="utf-8"))
            for node in tree.body:
                targets = node.targets if isinstance(node, ast.Assign) else []
                if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                    assert isinstance(node, ast.Assign)
                    self.cache[module] = frozenset(ast.literal_eval(node.value))
        return self.cache[module]


def _private_attributes(
    tree: ast.AST, module: str, app: str | None, bound: dict[str, str], packages: Sequence[str]
) -> Iterator[Finding]:
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and _is_private(node.attr)):
            continue
        chain = [node.attr]
        base: ast.expr = node.value
        while isinstance(base, ast.Attribute):
            chain.append(base.attr)
            base = base.value
        if not (isinstance(base, ast.Name) and base.id in bound):
            continue
        dotted = ".".join([bound[base.id], *reversed(chain)])
        owner = _owner(dotted, packages)
        if owner is not None and owner != app:
            yield Finding(module, node.lineno, f"uses {dotted}, private to {owner}")


class PrivateNamesContract(Contract):
    """An app imports and uses only the public names of another app."""

    def check(self, graph: Any, verbose: bool) -> ContractCheck:
        findings = private_crossings(_root_packages(self.session_options))
        return ContractCheck(kept=not findings, metadata={"findings": findings})

    def render_broken_contract(self, check: ContractCheck) -> None:
        _render(
            check,
            "An app reaches into another app's internals. Export what it needs from that app "
            "(a public module, or its __init__ with __all__):",
        )


# ----------------------------------------------------------------------------- shared


def _root_packages(session_options: dict[str, Any]) -> list[str]:
    packages = session_options.get("root_packages") or [session_options["root_package"]]
    return list(packages)


def _render(check: ContractCheck, headline: str) -> None:
    output.print_error(headline, bold=False)
    output.new_line()
    for finding in check.metadata["findings"]:
        output.print_error(f"- {finding}", bold=False)
    output.new_line()
