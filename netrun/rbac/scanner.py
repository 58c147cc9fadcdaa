"""``TenantEscapePathScanner``: find the code paths that can cross tenants, statically.

Framework-neutral (the standard library's ``ast``); ``manage.py netrun_scan_tenant_escapes``
runs it in CI with text, JSON or SARIF output. Rules:

======  ==========================================================================
NR001   a tenant-scoped model declares a plain (unscoped) manager
NR002   ``Model.all_tenants`` without ``.reason("...")``, or ``unscoped()`` without a reason
NR003   ``.raw()`` SQL
NR004   ``.extra()`` SQL
NR005   ``cursor.execute`` SQL on a tenant table without a ``tenant_id`` predicate
NR006   ``.using()`` / ``.db_manager()`` to an owner or admin database alias
NR007   a Celery task touching tenant-scoped models without a tenant context
NR008   ``Model._base_manager``
NR009   SQLAlchemy ``session.query(Model)`` on a tenant model without a tenant filter
NR010   SQLAlchemy ``select(Model)`` executed without a tenant filter
NR011   SQLAlchemy ``text()`` SQL on a tenant table without a ``tenant_id`` predicate
======  ==========================================================================

SQLAlchemy's tenant models are the mapped classes (``__tablename__``) that declare or inherit
a ``tenant_id`` attribute, and the ``Table(...)`` objects with a ``Column("tenant_id")``.
A query or statement counts as filtered when a ``filter``/``filter_by``/``where``/``having``
in its chain (inline, or on the variable holding it before it runs) names something with
``tenant`` in it (``Ticket.tenant_id == t``, ``filter_by(tenant_id=t)``, ``for_tenant(...)``).

A line (or the line above it) carrying ``# netrun: allow-cross-tenant <reason>`` suppresses
what is reported on it; a suppression without a reason suppresses nothing.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_EXCLUDES",
    "RULES",
    "TenantEscapePathScanner",
    "Violation",
    "to_json",
    "to_sarif",
    "to_text",
]

RULES: dict[str, str] = {
    "NR001": "Tenant-scoped model with an unscoped manager",
    "NR002": "Cross-tenant access without a reason",
    "NR003": "raw() SQL cannot be tenant-scoped",
    "NR004": "extra() SQL bypasses the ORM's scoping",
    "NR005": "SQL on a tenant table without a tenant_id predicate",
    "NR006": "Query routed to an owner/admin database alias",
    "NR007": "Celery task touches tenant-scoped models without a tenant context",
    "NR008": "_base_manager bypasses the default manager",
    "NR009": "SQLAlchemy query() on a tenant model without a tenant filter",
    "NR010": "SQLAlchemy select() executed without a tenant filter",
    "NR011": "SQLAlchemy text() SQL on a tenant table without a tenant_id predicate",
}

SUPPRESSION = re.compile(r"#\s*netrun:\s*allow-cross-tenant\b[ \t]*(?P<reason>[^\n]*)")
SCOPED_BASES = frozenset({"TenantScopedModel"})
SCOPED_MANAGERS = frozenset({"TenantScopedManager", "AllTenantsManager"})
TENANT_CONTEXTS = frozenset(
    {
        "tenant_context",
        "BackgroundTaskTenantContext",
        "TenantTestContext",
        "unscoped",
        "restore",
        "bind",
    }
)
DEFAULT_EXCLUDES = (
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    "migrations",
    "site-packages",
)
#: Methods that run a SQLAlchemy statement given as their first argument.
SQLALCHEMY_EXECUTORS = frozenset(
    {"execute", "scalars", "scalar", "stream", "stream_scalars", "exec", "exec_driver_sql"}
)
#: Methods of a SQLAlchemy query/statement that narrow it.
SQLALCHEMY_FILTERS = frozenset({"filter", "filter_by", "where", "having"})
#: Methods that run a legacy ``Query`` (iterating it does too).
QUERY_RUNNERS = frozenset(
    {
        "all",
        "first",
        "one",
        "one_or_none",
        "scalar",
        "count",
        "get",
        "delete",
        "update",
        "exists",
        "paginate",
        "yield_per",
    }
)
_TABLE_REFERENCE = re.compile(r"\b(?:from|join|update|into)\s+[\"`]?(\w+)", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Violation:
    """One finding: where, which rule, why, and the offending line."""

    path: str
    line: int
    rule: str
    message: str
    snippet: str = field(default="", compare=False)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _name(node.func)
    return ""


def _literal_text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) and isinstance(part.value, str) else "?"
            for part in node.values
        )
    return None


class TenantEscapePathScanner:
    """Scan a project's Python files for tenant escape paths.

    ``tenant_tables`` adds table names to those found from ``TenantScopedModel`` subclasses;
    ``owner_aliases`` are the database aliases that bypass tenancy; ``exclude`` holds extra
    glob patterns of paths (relative to ``project_root``) to skip.
    """

    def __init__(
        self,
        project_root: str | Path = ".",
        *,
        tenant_tables: Iterable[str] = (),
        owner_aliases: Iterable[str] = ("owner", "admin", "migrations"),
        exclude: Sequence[str] = (),
    ) -> None:
        self.project_root = Path(project_root).resolve()
        self.extra_tables = {t.lower() for t in tenant_tables}
        self.owner_aliases = frozenset(owner_aliases)
        self.exclude = tuple(exclude)
        self.scoped_models: set[str] = set()
        self.tenant_tables: set[str] = set()
        #: SQLAlchemy mapped classes and ``Table`` variables holding a ``tenant_id``.
        self.sqlalchemy_models: set[str] = set()

    # ----------------------------------------------------------------- files

    def iter_files(self) -> Iterator[Path]:
        for path in sorted(self.project_root.rglob("*.py")):
            relative = path.relative_to(self.project_root)
            if any(part in DEFAULT_EXCLUDES for part in relative.parts):
                continue
            if any(fnmatch.fnmatch(relative.as_posix(), pattern) for pattern in self.exclude):
                continue
            yield path

    def _parse(self) -> list[tuple[Path, str, ast.Module]]:
        parsed = []
        for path in self.iter_files():
            source = path.read_text(encoding="utf-8", errors="replace")
            try:
                parsed.append((path, source, ast.parse(source, filename=str(path))))
            except SyntaxError:
                continue
        return parsed

    # ----------------------------------------------------------------- discovery

    def _discover(self, parsed: list[tuple[Path, str, ast.Module]]) -> None:
        classes: list[tuple[Path, ast.ClassDef]] = [
            (path, node)
            for path, _, tree in parsed
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef)
        ]
        scoped = set(SCOPED_BASES)
        changed = True
        while changed:
            changed = False
            for _, node in classes:
                if node.name not in scoped and any(_name(b) in scoped for b in node.bases):
                    scoped.add(node.name)
                    changed = True
        self.scoped_models = scoped - SCOPED_BASES
        labels = self._app_labels(parsed)
        tables = set(self.extra_tables)
        for path, node in classes:
            if node.name not in self.scoped_models:
                continue
            table = _meta_db_table(node)
            label = labels.get(path.parent, path.parent.name)
            tables.add((table or f"{label}_{node.name}").lower())
        sqlalchemy_models, sqlalchemy_tables = _sqlalchemy_tenant_models(parsed, classes)
        self.sqlalchemy_models = sqlalchemy_models
        self.tenant_tables = tables | sqlalchemy_tables

    @staticmethod
    def _app_labels(parsed: list[tuple[Path, str, ast.Module]]) -> dict[Path, str]:
        labels: dict[Path, str] = {}
        for path, _, tree in parsed:
            if path.name != "apps.py":
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "label" for t in node.targets
                ):
                    text = _literal_text(node.value)
                    if text:
                        labels[path.parent] = text
        return labels

    # ----------------------------------------------------------------- scan

    def scan(self) -> list[Violation]:
        """Every violation under ``project_root``, sorted by path and line."""
        parsed = self._parse()
        self._discover(parsed)
        found: list[Violation] = []
        for path, source, tree in parsed:
            lines = source.splitlines()
            relative = path.relative_to(self.project_root).as_posix()
            reports = _Visitor(self).run(tree)
            reports += _SqlAlchemyScopes(self.sqlalchemy_models, self.tenant_tables).run(tree)
            for line, rule, message in reports:
                if _suppressed(lines, line):
                    continue
                snippet = lines[line - 1].strip() if 0 < line <= len(lines) else ""
                found.append(Violation(relative, line, rule, message, snippet))
        return sorted(set(found))


def _meta_db_table(node: ast.ClassDef) -> str | None:
    for item in node.body:
        if isinstance(item, ast.ClassDef) and item.name == "Meta":
            for statement in item.body:
                if isinstance(statement, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "db_table" for t in statement.targets
                ):
                    return _literal_text(statement.value)
    return None


def _class_attributes(node: ast.ClassDef) -> set[str]:
    names: set[str] = set()
    for item in node.body:
        if isinstance(item, ast.Assign):
            names.update(t.id for t in item.targets if isinstance(t, ast.Name))
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            names.add(item.target.id)
        elif isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(item.name)  # @declared_attr def tenant_id(cls): ...
    return names


def _sqlalchemy_tenant_models(
    parsed: list[tuple[Path, str, ast.Module]], classes: list[tuple[Path, ast.ClassDef]]
) -> tuple[set[str], set[str]]:
    """``(names, tables)``: mapped classes and ``Table`` variables with a ``tenant_id``."""
    by_name = {node.name: node for _, node in classes}

    def inherited(node: ast.ClassDef, seen: frozenset[str] = frozenset()) -> set[str]:
        names = _class_attributes(node)
        for base in node.bases:
            parent = by_name.get(_name(base))
            if parent is not None and parent.name not in seen:
                names |= inherited(parent, seen | {node.name})
        return names

    models: set[str] = set()
    tables: set[str] = set()
    for _, node in classes:
        attributes = inherited(node)
        if "tenant_id" in attributes and {"__tablename__", "__table__"} & attributes:
            models.add(node.name)
            for item in node.body:
                if isinstance(item, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "__tablename__" for t in item.targets
                ):
                    table = _literal_text(item.value)
                    if table:
                        tables.add(table.lower())
    for _, _, tree in parsed:
        for statement in ast.walk(tree):
            if not (
                isinstance(statement, ast.Assign)
                and isinstance(statement.value, ast.Call)
                and _name(statement.value.func) == "Table"
                and statement.value.args
            ):
                continue
            columns = [
                _literal_text(c.args[0])
                for c in statement.value.args[1:]
                if isinstance(c, ast.Call) and _name(c.func) == "Column" and c.args
            ]
            if "tenant_id" in columns:
                models.update(t.id for t in statement.targets if isinstance(t, ast.Name))
                table = _literal_text(statement.value.args[0])
                if table:
                    tables.add(table.lower())
    return models, tables


def _suppressed(lines: list[str], line: int) -> bool:
    for number in (line, line - 1):
        if 0 < number <= len(lines):
            match = SUPPRESSION.search(lines[number - 1])
            if match and match["reason"].strip():
                return True
    return False


class _Visitor(ast.NodeVisitor):
    def __init__(self, scanner: TenantEscapePathScanner) -> None:
        self.scanner = scanner
        self.found: list[tuple[int, str, str]] = []
        self._reasoned_all_tenants: set[int] = set()

    def run(self, tree: ast.Module) -> list[tuple[int, str, str]]:
        self.visit(tree)
        return self.found

    def report(self, node: ast.AST, rule: str, message: str) -> None:
        self.found.append((getattr(node, "lineno", 0), rule, message))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if node.name in self.scanner.scoped_models:
            for item in node.body:
                if isinstance(item, (ast.Assign, ast.AnnAssign)) and item.value is not None:
                    called = _name(item.value) if isinstance(item.value, ast.Call) else ""
                    if called.endswith("Manager") and called not in SCOPED_MANAGERS:
                        self.report(
                            item,
                            "NR001",
                            f"{node.name} declares {called}(), which is not tenant-scoped; "
                            "use TenantScopedManager (or a subclass)",
                        )
        self.generic_visit(node)

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        decorators = [d for d in node.decorator_list if _name(d).endswith("task")]
        if decorators and not any(_is_tenant_task(d) for d in decorators):
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            touched = sorted(names & self.scanner.scoped_models)
            calls = {_name(n) for n in ast.walk(node) if isinstance(n, ast.Call)}
            if touched and not calls & TENANT_CONTEXTS:
                self.report(
                    decorators[0],
                    "NR007",
                    f"task {node.name} uses {', '.join(touched)} without a tenant: use "
                    "@tenant_task or bind one (BackgroundTaskTenantContext)",
                )
        self.generic_visit(node)

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr == "all_tenants" and id(node) not in self._reasoned_all_tenants:
            self.report(
                node,
                "NR002",
                "all_tenants without a reason: use Model.all_tenants.reason('...') or an "
                "allow-cross-tenant comment with a reason",
            )
        elif node.attr == "_base_manager":
            self.report(
                node, "NR008", "_base_manager reads rows without the default manager's checks"
            )
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = _name(func)
        if (
            isinstance(func, ast.Attribute)
            and name == "reason"
            and isinstance(func.value, ast.Attribute)
            and func.value.attr == "all_tenants"
            and node.args
            and (_literal_text(node.args[0]) or "").strip()
        ):
            self._reasoned_all_tenants.add(id(func.value))
        if name == "unscoped":
            reason = next((k.value for k in node.keywords if k.arg == "reason"), None)
            text = _literal_text(reason) if reason is not None else ""
            if text is not None and not text.strip():
                self.report(node, "NR002", "unscoped() without a reason=...")
        if isinstance(func, ast.Attribute):
            if name == "raw":
                self.report(node, "NR003", "raw() SQL is not tenant-scoped")
            elif name == "extra":
                self.report(node, "NR004", "extra() adds SQL the tenant scoping cannot check")
            elif name in ("execute", "executemany", "exec_driver_sql") and node.args:
                self._check_sql(node)
            elif name in ("using", "db_manager") and node.args:
                alias = _literal_text(node.args[0])
                if alias in self.scanner.owner_aliases:
                    self.report(node, "NR006", f"{name}({alias!r}) routes to an owner/admin alias")
        self.generic_visit(node)

    def _check_sql(self, node: ast.Call) -> None:
        sql = _literal_text(node.args[0])
        if sql is None:
            return
        tables = {t.lower() for t in _TABLE_REFERENCE.findall(sql)} & self.scanner.tenant_tables
        if tables and "tenant_id" not in sql.lower():
            self.report(
                node,
                "NR005",
                f"SQL on tenant table(s) {', '.join(sorted(tables))} without a tenant_id predicate",
            )


def _mentions_tenant(node: ast.AST) -> bool:
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and "tenant" in child.id.lower():
            return True
        if isinstance(child, ast.Attribute) and "tenant" in child.attr.lower():
            return True
        if isinstance(child, ast.keyword) and child.arg and "tenant" in child.arg.lower():
            return True
    return False


class _SqlAlchemyScopes:
    """NR009, NR010 and NR011 over one module: each function (and the module) in turn.

    A chain is the source call (``x.query(M)``, ``select(M)``) and the method calls wrapped
    around it. Assigned to a variable, the statement is followed through the scope in line
    order: re-assignments that filter it mark it filtered; running it unfiltered is reported.
    """

    def __init__(self, models: set[str], tables: set[str]) -> None:
        self.models = models
        self.tables = tables
        self.found: list[tuple[int, str, str]] = []
        self.parents: dict[int, ast.AST] = {}

    def run(self, tree: ast.Module) -> list[tuple[int, str, str]]:
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[id(child)] = node
            if isinstance(node, ast.Call) and _name(node.func) == "text" and node.args:
                self._check_text(node)
        for scope in ast.walk(tree):
            if isinstance(scope, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)):
                self._scan_scope(scope)
        return self.found

    def _check_text(self, node: ast.Call) -> None:
        sql = _literal_text(node.args[0])
        if sql is None:
            return
        tables = {t.lower() for t in _TABLE_REFERENCE.findall(sql)} & self.tables
        if tables and "tenant_id" not in sql.lower():
            self.found.append(
                (
                    node.lineno,
                    "NR011",
                    f"text() SQL on tenant table(s) {', '.join(sorted(tables))} without a "
                    "tenant_id predicate",
                )
            )

    # -------------------------------------------------------------------- chains

    def _model_of(self, call: ast.Call) -> str | None:
        """The tenant model a ``query(...)``/``select(...)`` call reads, if any."""
        name = _name(call.func)
        is_query = name == "query" and isinstance(call.func, ast.Attribute)
        if not (is_query or name == "select"):
            return None
        for arg in call.args:
            target = arg.value if isinstance(arg, ast.Attribute) else arg
            if isinstance(target, ast.Name) and target.id in self.models:
                return target.id
        return None

    def _chain(self, source: ast.AST) -> tuple[ast.AST, list[ast.Call]]:
        """The outermost expression of the method chain around ``source``, and its calls."""
        top, calls = source, []
        while True:
            parent = self.parents.get(id(top))
            if isinstance(parent, ast.Attribute) and parent.value is top:
                grand = self.parents.get(id(parent))
                if isinstance(grand, ast.Call) and grand.func is parent:
                    calls.append(grand)
                    top = grand
                    continue
            return top, calls

    @staticmethod
    def _filters(calls: list[ast.Call]) -> bool:
        return any(
            _name(c.func) in SQLALCHEMY_FILTERS
            and any(_mentions_tenant(a) for a in [*c.args, *c.keywords])
            for c in calls
        )

    def _runs(self, top: ast.AST, kind: str, calls: list[ast.Call]) -> ast.AST | None:
        """The node that runs the chain ``top``, or ``None`` when it is not run here."""
        parent = self.parents.get(id(top))
        if (
            isinstance(parent, ast.Call)
            and _name(parent.func) in SQLALCHEMY_EXECUTORS
            and isinstance(parent.func, ast.Attribute)
            and parent.args
            and parent.args[0] is top
        ):
            return parent
        if kind == "query":
            if any(_name(c.func) in QUERY_RUNNERS for c in calls):
                return top
            if isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension)) and (
                parent.iter is top
            ):
                return top
        return None

    def _report(self, node: ast.AST, kind: str, model: str) -> None:
        if kind == "query":
            self.found.append(
                (
                    getattr(node, "lineno", 0),
                    "NR009",
                    f"query({model}) runs without a tenant filter: add "
                    f".filter({model}.tenant_id == ...)",
                )
            )
        else:
            self.found.append(
                (
                    getattr(node, "lineno", 0),
                    "NR010",
                    f"select({model}) is executed without a tenant filter: add "
                    f".where({model}.tenant_id == ...)",
                )
            )

    # -------------------------------------------------------------------- scopes

    def _own_nodes(self, scope: ast.AST) -> list[ast.AST]:
        """The nodes of ``scope`` outside nested functions, in source order."""
        nodes: list[ast.AST] = []
        stack = list(ast.iter_child_nodes(scope))
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            nodes.append(node)
            stack.extend(ast.iter_child_nodes(node))
        return sorted(nodes, key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))

    def _scan_scope(self, scope: ast.AST) -> None:
        nodes = self._own_nodes(scope)
        # variable -> (kind, model, filtered)
        tracked: dict[str, tuple[str, str, bool]] = {}
        for node in nodes:
            if isinstance(node, ast.Call) and (model := self._model_of(node)):
                kind = "query" if _name(node.func) == "query" else "select"
                top, calls = self._chain(node)
                self._follow(tracked, top, calls, kind, model, self._filters(calls))
            elif (
                isinstance(node, ast.Name)
                and node.id in tracked
                and (isinstance(node.ctx, ast.Load))
            ):
                kind, model, filtered = tracked[node.id]
                top, calls = self._chain(node)
                self._follow(tracked, top, calls, kind, model, filtered or self._filters(calls))

    def _follow(
        self,
        tracked: dict[str, tuple[str, str, bool]],
        top: ast.AST,
        calls: list[ast.Call],
        kind: str,
        model: str,
        filtered: bool,
    ) -> None:
        """Report the chain if it runs unfiltered here; else follow the variable it is kept in."""
        runner = self._runs(top, kind, calls)
        if runner is not None:
            if not filtered:
                self._report(runner, kind, model)
            return
        target = self._assigned_to(top)
        if target is not None:
            tracked[target] = (kind, model, filtered)

    def _assigned_to(self, top: ast.AST) -> str | None:
        parent = self.parents.get(id(top))
        if isinstance(parent, ast.Assign) and parent.value is top and len(parent.targets) == 1:
            target = parent.targets[0]
            return target.id if isinstance(target, ast.Name) else None
        if isinstance(parent, ast.AnnAssign) and parent.value is top:
            return parent.target.id if isinstance(parent.target, ast.Name) else None
        return None


def _is_tenant_task(decorator: ast.AST) -> bool:
    if _name(decorator) == "tenant_task":
        return True
    if isinstance(decorator, ast.Call):
        return any(k.arg == "base" and _name(k.value) == "TenantTask" for k in decorator.keywords)
    return False


# ----------------------------------------------------------------------------- reports


def to_text(violations: Sequence[Violation]) -> str:
    lines = [f"{v.path}:{v.line}: {v.rule} {v.message}\n    {v.snippet}" for v in violations]
    lines.append(f"{len(violations)} tenant escape path(s) found.")
    return "\n".join(lines)


def to_json(violations: Sequence[Violation]) -> str:
    return json.dumps([v.as_dict() for v in violations], indent=2)


def to_sarif(violations: Sequence[Violation]) -> str:
    """SARIF 2.1.0, for code scanning UIs."""
    report = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "netrun-tenant-escape-scanner",
                        "rules": [
                            {"id": rule, "shortDescription": {"text": text}}
                            for rule, text in RULES.items()
                        ],
                    }
                },
                "results": [
                    {
                        "ruleId": v.rule,
                        "level": "error",
                        "message": {"text": v.message},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": v.path},
                                    "region": {"startLine": v.line, "snippet": {"text": v.snippet}},
                                }
                            }
                        ],
                    }
                    for v in violations
                ],
            }
        ],
    }
    return json.dumps(report, indent=2)
