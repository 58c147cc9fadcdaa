"""The checks that hold for the code itself, Django or not: errors, logging, levels, extras.

Each function returns a :class:`~netrun.dogfood._report.CheckResult` and takes its inputs as
arguments (with the suite's own as defaults), so a test can feed it a seeded bad case.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import importlib.metadata
import pkgutil
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from netrun.core.deps import INTEGRATION_MATRIX, SoftDependency, extra_for, is_available
from netrun.core.registry import LEVELS
from netrun.dogfood._report import CheckResult
from netrun.errors import NetrunException, iter_error_classes

__all__ = [
    "SANCTIONED_ESCAPES",
    "SANCTIONED_EXCEPTIONS",
    "check_exceptions",
    "check_levels",
    "check_soft_dependencies",
    "check_stdlib_logging",
    "check_tenant_escapes",
    "find_cycle",
    "import_all",
    "package_edges",
    "source_roots",
]

ERROR_CODE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
# Builtin exception bases: a public class deriving from one of these (and not from
# NetrunException) escapes the one error envelope.
_BUILTIN_EXCEPTIONS = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
)
#: Folders never imported or scanned: migrations run only under ``migrate``.
_SKIPPED_PARTS = frozenset({"migrations", "__pycache__"})

#: netrun's own public exceptions that deliberately derive from a builtin exception, with
#: why: each is caught inside netrun (or is the ImportError convention for a missing extra)
#: and never reaches a view, so it never needs an error envelope. Any other is a warning.
SANCTIONED_EXCEPTIONS: dict[str, str] = {
    "netrun.core.deps.MissingDependencyError": (
        "an ImportError, so `except ImportError` guards around optional imports still work"
    ),
    "netrun.cors.origins.OriginError": (
        "a ValueError of origin parsing; netrun.cors's policy and system checks catch it"
    ),
    "netrun.env.schema.SchemaError": "a CLI input error; netrun-env's command catches it",
    "netrun.llm.policy.pricing.PriceRowError": (
        "a ValueError of price-row parsing; netrun.llm's settings reader and system checks catch it"
    ),
    "netrun.llm.policy.ledgers.base.ReservationRefused": (
        "ledger control flow; netrun.llm's budget policy turns it into a NetrunException (429)"
    ),
    "netrun.rbac.db.retrofit.RetrofitError": (
        "a ValueError of planning a retrofit; netrun_rbac_retrofit turns it into a CommandError"
    ),
    "netrun.rbac.db.retrofit.TenantBackfillError": (
        "stops a migration (manage.py migrate), never raised while serving a request"
    ),
    "netrun.ratelimit._rate.InvalidRateError": (
        "a ValueError of rate parsing; netrun.ratelimit's system checks report it"
    ),
    "netrun.ratelimit.backends.base.BackendUnavailableError": (
        "backend control flow; the limiter catches it and fails open or closed"
    ),
}

#: Tenant escape findings in netrun's own source that are its sanctioned helpers:
#: ``(path under netrun/, rule, text of the line)`` with why. The scanner reads syntax, not
#: types, so it cannot tell these from a queryset's ``raw()`` or ``_base_manager``.
SANCTIONED_ESCAPES: dict[tuple[str, str, str], str] = {
    ("config/django.py", "NR003", "self.raw(name)"): (
        "Env.raw() reads an environment variable; it is not QuerySet.raw() SQL"
    ),
    ("rbac/managers.py", "NR003", "super().raw("): (
        "TenantScopedQuerySet.raw() refuses raw SQL unless crossing tenants was made explicit"
    ),
    ("rbac/checks.py", "NR008", "model._base_manager"): (
        "netrun.rbac's system check inspects _base_manager to prove it is tenant-scoped"
    ),
    # The retrofit backfill runs in a migration on historical models, which have only plain
    # managers, and must see every row to give each one its tenant.
    ("rbac/db/retrofit.py", "NR008", "model._base_manager.using(using).filter(pk=OuterRef("): (
        "the retrofit backfill reads each row's tenant by the user's rule, in a migration"
    ),
    ("rbac/db/retrofit.py", "NR008", "tenant_model._base_manager.using(rows.db)"): (
        "the retrofit backfill checks every tenant the rule names exists, in a migration"
    ),
    ("rbac/db/retrofit.py", "NR008", "model._base_manager.using(using).filter(**{f"): (
        "the retrofit backfill counts the rows still without a tenant, in a migration"
    ),
}


def _in_scope(module: str, packages: Sequence[str]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def source_roots(package: str) -> list[Path]:
    """The folders of ``package`` (several for a namespace package such as ``netrun``)."""
    module = importlib.import_module(package)
    paths = getattr(module, "__path__", None)
    if paths is None:
        file = getattr(module, "__file__", None)
        return [Path(file).parent] if file else []
    # An editable install can list one folder twice (as "." and as its absolute path).
    return list(dict.fromkeys(Path(path).resolve() for path in paths))


def import_all(packages: Sequence[str]) -> list[str]:
    """Import every module of ``packages``; returns ``"module: error"`` for those that fail.

    A failure is information, not a verdict: Django glue cannot import before settings are
    configured, and optional integrations need their extra.
    """
    return [f"{module}: {type(error).__name__}: {error}" for module, error in _import_all(packages)]


def _import_all(packages: Sequence[str]) -> list[tuple[str, Exception]]:
    failures: list[tuple[str, Exception]] = []
    for package in packages:
        try:
            root = importlib.import_module(package)
        except Exception as error:
            failures.append((package, error))
            continue
        paths = getattr(root, "__path__", None)
        if paths is None:
            continue
        for info in pkgutil.walk_packages(paths, prefix=f"{package}.", onerror=lambda _: None):
            if _SKIPPED_PARTS.intersection(info.name.split(".")):
                continue
            try:
                importlib.import_module(info.name)
            except Exception as error:
                failures.append((info.name, error))
    return failures


def _not_imported(module: str, error: Exception) -> str:
    """A detail line: a missing optional dependency says which extra brings it in."""
    missing = error.name if isinstance(error, ModuleNotFoundError) else None
    top = (missing or "").split(".")[0]
    if not top or top == "netrun" or not module.startswith("netrun."):
        return f"not imported (its exceptions are not checked): {module}: {type(error).__name__}: {error}"
    package = ".".join(module.split(".")[:2])
    extra = extra_for(top, package=package)
    hint = f'pip install "netrun[{extra}]"' if extra else f"pip install {top}"
    return f"not installed (its exceptions are not checked): {module} needs {top}: {hint}"


def _python_files(roots: Iterable[Path], exclude: Iterable[str] = ()) -> Iterator[Path]:
    excluded = set(exclude)
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            parts = path.relative_to(root).parts
            if _SKIPPED_PARTS.intersection(parts) or (parts and parts[0] in excluded):
                continue
            yield path


def _module_name(package: str, root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([package, *parts])


def _non_netrun_exceptions(roots: Iterable[tuple[str, Path]]) -> list[tuple[str, str]]:
    """Public exception classes deriving from builtin exceptions, found in the source of
    ``(package, folder)`` roots: ``(dotted name, "path:line Name(Bases)")``."""
    found: list[tuple[str, str]] = []
    for package, root in roots:
        for path in _python_files([root]):
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if not isinstance(node, ast.ClassDef) or node.name.startswith("_"):
                    continue
                if node.name == NetrunException.__name__:
                    continue
                bases = {base.id for base in node.bases if isinstance(base, ast.Name)} | {
                    base.attr for base in node.bases if isinstance(base, ast.Attribute)
                }
                if bases & _BUILTIN_EXCEPTIONS:
                    where = f"{path}:{node.lineno} {node.name}({', '.join(sorted(bases))})"
                    found.append((f"{_module_name(package, root, path)}.{node.name}", where))
    return found


def check_exceptions(
    packages: Sequence[str] = ("netrun",),
    *,
    classes: Iterable[type[NetrunException]] | None = None,
    sanctioned: Mapping[str, str] = SANCTIONED_EXCEPTIONS,
) -> CheckResult:
    """Every exception of ``packages`` is a NetrunException with a valid, unique code.

    Fails on a code that is not SCREAMING_SNAKE_CASE, a status outside 100-599, or two
    classes declaring the same code. Public classes deriving from a builtin exception
    instead of NetrunException are a warning: some are deliberate (an ``ImportError`` for
    a missing extra), and only a person can tell which. Those a person has told, in
    ``sanctioned`` (dotted name: why), are listed with their reason and do not warn.
    """
    scope = list(dict.fromkeys(["netrun", *packages]))
    details: list[str] = []
    not_imported = _import_all(scope) if classes is None else []
    candidates = list(iter_error_classes()) if classes is None else list(classes)
    in_scope = [cls for cls in candidates if _in_scope(cls.__module__, scope)]
    problems: list[str] = []
    owners: dict[str, list[str]] = {}
    for cls in in_scope:
        name = f"{cls.__module__}.{cls.__qualname__}"
        code = getattr(cls, "error_code", None)
        status = getattr(cls, "status_code", None)
        if not isinstance(code, str) or ERROR_CODE.fullmatch(code) is None:
            problems.append(f"{name}: error_code {code!r} is not SCREAMING_SNAKE_CASE")
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            problems.append(f"{name}: status_code {status!r} is not an HTTP status")
        # Inheriting the parent's code is how a refinement stays matchable by its parent's
        # code; only a class that declares a code claims it.
        if "error_code" in vars(cls) and isinstance(code, str):
            owners.setdefault(code, []).append(name)
    for code, names in sorted(owners.items()):
        if len(names) > 1:
            problems.append(f"error_code {code} is declared by {len(names)} classes: {names}")
    roots = (
        list(dict.fromkeys((package, root) for package in scope for root in source_roots(package)))
        if classes is None
        else []
    )
    found = _non_netrun_exceptions(roots)
    strays = [where for name, where in found if name not in sanctioned]
    allowed = [(where, sanctioned[name]) for name, where in found if name in sanctioned]
    details += problems
    details += [f"not a NetrunException: {stray}" for stray in strays]
    details += [f"sanctioned: {where}: {why}" for where, why in allowed]
    details += [_not_imported(module, error) for module, error in not_imported]
    if problems:
        return CheckResult("exceptions", "fail", f"{len(problems)} problem(s)", details)
    summary = f"{len(in_scope)} NetrunException classes, {len(owners)} unique error codes"
    if allowed:
        summary += f"; {len(allowed)} sanctioned builtin-derived exception(s)"
    if strays:
        return CheckResult(
            "exceptions", "warn", f"{summary}; {len(strays)} other public exception(s)", details
        )
    return CheckResult("exceptions", "pass", summary, details)


def _stdlib_logging_uses(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "logging" or alias.name.startswith("logging."):
                    yield node.lineno, f"import {alias.name}"
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            if node.module and (node.module == "logging" or node.module.startswith("logging.")):
                yield node.lineno, f"from {node.module} import ..."
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "getLogger"
        ):
            yield node.lineno, "getLogger(...)"


def check_stdlib_logging(
    roots: Iterable[Path] | None = None, *, exclude: Iterable[str] = ("logging",)
) -> CheckResult:
    """No module logs through a stdlib logger (an AST scan; ``exclude`` names top folders).

    ``netrun/logging`` is excluded by default: it is the bridge that sends the stdlib
    loggers of Django and libraries through netrun's processors.
    """
    folders = list(roots) if roots is not None else source_roots("netrun")
    found: list[str] = []
    scanned = 0
    for path in _python_files(folders, exclude):
        scanned += 1
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except SyntaxError as error:
            found.append(f"{path}: cannot parse ({error.msg})")
            continue
        found += [f"{path}:{line}: {what}" for line, what in _stdlib_logging_uses(tree)]
    if found:
        return CheckResult(
            "stdlib_logging", "fail", f"{len(found)} stdlib logging use(s); use get_logger", found
        )
    return CheckResult("stdlib_logging", "pass", f"{scanned} modules log through get_logger")


def package_edges(packages: Sequence[str]) -> dict[str, set[str]]:
    """Which of ``packages`` imports which (a grimp graph of the source)."""
    import grimp

    # No cache: dogfood runs in a user's project and leaves no .grimp_cache folder behind.
    graph = grimp.build_graph(*packages, cache_dir=None)
    edges: dict[str, set[str]] = {name: set() for name in packages}
    for importer in packages:
        for imported in packages:
            if importer != imported and graph.direct_import_exists(
                importer=importer, imported=imported, as_packages=True
            ):
                edges[importer].add(imported)
    return edges


def find_cycle(edges: Mapping[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that ends where it starts, or ``None``."""
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "active"
        for nxt in sorted(edges.get(node, ())):
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


def check_levels(
    levels: Mapping[str, int] = LEVELS,
    *,
    edges: Callable[[Sequence[str]], Mapping[str, set[str]]] | None = None,
) -> CheckResult:
    """Each package imports only its level or below, and no packages import in a cycle."""
    if edges is None:
        if not is_available("grimp"):
            return CheckResult(
                "levels", "skip", "skipped: grimp is not installed (pip install import-linter)"
            )
        edges = package_edges
    graph = edges(list(levels))
    problems = [
        f"{importer} (level {levels[importer]}) imports {target} (level {levels[target]})"
        for importer, targets in sorted(graph.items())
        for target in sorted(targets)
        if levels[target] > levels[importer]
    ]
    cycle = find_cycle(graph)
    if cycle:
        problems.append("import cycle: " + " -> ".join(cycle))
    if problems:
        return CheckResult("levels", "fail", f"{len(problems)} layering problem(s)", problems)
    imports = sum(len(targets) for targets in graph.values())
    return CheckResult(
        "levels", "pass", f"{len(graph)} packages, {imports} cross-package imports, no cycle"
    )


def _netrun_extras() -> set[str] | None:
    try:
        extras = importlib.metadata.metadata("netrun").get_all("Provides-Extra")
    except importlib.metadata.PackageNotFoundError:
        return None
    return set(extras or ())


def check_soft_dependencies(
    matrix: Sequence[SoftDependency] = INTEGRATION_MATRIX,
    *,
    packages: Mapping[str, int] = LEVELS,
) -> CheckResult:
    """The soft-dependency matrix matches what is installed.

    Fails when a row names an unknown package or an extra the installed distribution does
    not declare, when a netrun module of the matrix is missing, or when an optional module
    is found but fails to import (a broken install: detection would say the feature is on).
    """
    extras = _netrun_extras()
    problems: list[str] = []
    available: list[str] = []
    missing: list[str] = []
    for row in matrix:
        label = f"{row.package} -> {row.dependency} ({row.module})"
        if row.package not in packages:
            problems.append(f"{label}: {row.package} is not a netrun package")
        if row.extra and extras is not None and row.extra not in extras:
            problems.append(f"{label}: extra [{row.extra}] is not declared by netrun")
        if not is_available(row.module):
            if row.module.startswith("netrun."):
                problems.append(f"{label}: the netrun module is missing")
            else:
                hint = f' (pip install "netrun[{row.extra}]")' if row.extra else ""
                missing.append(f"missing: {label}: {row.feature}{hint}")
            continue
        try:
            importlib.import_module(row.module)
        except Exception as error:
            problems.append(f"{label}: found but fails to import: {type(error).__name__}: {error}")
            continue
        available.append(f"available: {label}: {row.feature}")
    details = problems + available + missing
    if problems:
        return CheckResult("soft_dependencies", "fail", f"{len(problems)} problem(s)", details)
    summary = (
        f"{len(available)} of {len(matrix)} integrations available, {len(missing)} not installed"
    )
    if extras is None:
        details.insert(0, "netrun's distribution metadata not found: extras not compared")
    return CheckResult("soft_dependencies", "pass", summary, details)


def check_tenant_escapes(
    roots: Iterable[Path] | None = None,
    *,
    sanctioned: Mapping[tuple[str, str, str], str] = SANCTIONED_ESCAPES,
) -> CheckResult:
    """netrun's own source holds no tenant escape path but its sanctioned helpers.

    ``TenantEscapePathScanner`` reads each folder of ``roots`` (netrun's by default); a
    finding whose path (relative to its folder), rule and line text match an entry of
    ``sanctioned`` is listed with its reason instead of failing.
    """
    try:
        from netrun.rbac.scanner import TenantEscapePathScanner
    except ImportError:
        return CheckResult("tenant_escapes", "skip", "skipped: not available (netrun.rbac.scanner)")
    folders = list(roots) if roots is not None else source_roots("netrun")
    problems: list[str] = []
    allowed: list[str] = []
    for folder in folders:
        for item in TenantEscapePathScanner(folder).scan():
            line = f"{folder / item.path}:{item.line} {item.rule} {item.message}: {item.snippet}"
            reason = next(
                (
                    why
                    for (path, rule, text), why in sanctioned.items()
                    if (item.path, item.rule) == (path, rule) and text in item.snippet
                ),
                None,
            )
            if reason is None:
                problems.append(line)
            else:
                allowed.append(f"sanctioned: {line} ({reason})")
    if problems:
        return CheckResult(
            "tenant_escapes", "fail", f"{len(problems)} escape path(s)", problems + allowed
        )
    return CheckResult(
        "tenant_escapes",
        "pass",
        f"no escape path in netrun's source; {len(allowed)} sanctioned helper call(s)",
        allowed,
    )
