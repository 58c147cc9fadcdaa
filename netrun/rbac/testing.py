"""The tenant isolation testing kit (the seeds' names).

* :func:`assert_tenant_isolation` (query, expected tenant): passes only if the query itself
  is constrained to that tenant, by inspecting its WHERE clause, not its results (an empty
  table proves nothing). Django QuerySets, and SQLAlchemy ``Select``/``Query`` objects when
  SQLAlchemy is installed. A tenant-scoped Django queryset is inspected as it would run now,
  so call it inside the tenant context the code runs under.
* :class:`TenantTestContext`, :class:`BackgroundTaskTenantContext`: bind a tenant, sync or
  async.
* :class:`TenantEscapePathScanner`: the static scanner (:mod:`netrun.rbac.scanner`).

Importable without Django; Django is imported only to inspect a Django queryset.
"""

from __future__ import annotations

from typing import Any

from netrun.rbac.context import BackgroundTaskTenantContext, TenantTestContext
from netrun.rbac.scanner import TenantEscapePathScanner, Violation
from netrun.rbac.scope import same_tenant

__all__ = [
    "BackgroundTaskTenantContext",
    "TenantEscapePathScanner",
    "TenantTestContext",
    "Violation",
    "assert_tenant_isolation",
    "tenant_constraints",
]


def tenant_constraints(query: Any, tenant_field: str = "tenant_id") -> list[object]:
    """The values the query's tenant column must equal (top-level ``AND`` equalities)."""
    if hasattr(query, "query") and hasattr(query, "model"):
        return _django_constraints(query, tenant_field)
    statement = getattr(query, "statement", query)
    if hasattr(statement, "whereclause"):
        return _sqlalchemy_constraints(statement, tenant_field)
    raise TypeError(f"assert_tenant_isolation cannot inspect {type(query).__name__} objects")


def assert_tenant_isolation(
    query: Any, expected_tenant_id: object, *, tenant_field: str = "tenant_id"
) -> None:
    """Fail unless ``query`` is constrained to ``expected_tenant_id`` (and nothing wider)."""
    __tracebackhide__ = True
    try:
        values = tenant_constraints(query, tenant_field)
    except _NotIsolated as error:
        raise AssertionError(f"query is not tenant-isolated: {error}") from None
    if not values:
        raise AssertionError(
            f"query has no top-level '{tenant_field} = ...' condition: {_sql(query)}"
        )
    wrong = [value for value in values if not same_tenant(value, expected_tenant_id)]
    if wrong:
        raise AssertionError(
            f"query is constrained to tenant {wrong[0]!r}, expected {expected_tenant_id!r}: "
            f"{_sql(query)}"
        )


class _NotIsolated(Exception):
    pass


def _sql(query: Any) -> str:
    try:
        return str(getattr(query, "query", query))
    except Exception as error:  # the SQL is only for the message
        return f"<unprintable query: {type(error).__name__}>"


def _django_constraints(queryset: Any, tenant_field: str) -> list[object]:
    from django.db.models.expressions import Col
    from django.db.models.lookups import Exact
    from django.db.models.sql.where import AND, WhereNode

    from netrun.errors import TenantContextMissingError
    from netrun.rbac.managers import SCOPE_ALL, TenantScopedQuery, tenant_attname
    from netrun.rbac.scope import is_unscoped

    query = queryset.query
    column = tenant_field
    if isinstance(query, TenantScopedQuery):
        column = tenant_attname(queryset.model)
        if query.netrun_scope == SCOPE_ALL:
            raise _NotIsolated("it was opened to every tenant (Model.all_tenants)")
        if is_unscoped():
            raise _NotIsolated("it runs inside unscoped()")
        try:
            query = query.netrun_resolve()
        except TenantContextMissingError:
            raise _NotIsolated("no tenant is bound, so running it would raise") from None
    base = query.base_table
    found: list[object] = []

    def walk(node: Any) -> None:
        if not isinstance(node, WhereNode) or node.negated or node.connector != AND:
            return
        for child in node.children:
            if isinstance(child, WhereNode):
                walk(child)
            elif (
                isinstance(child, Exact)
                and isinstance(child.lhs, Col)
                and child.lhs.alias == base
                and child.lhs.target.column == queryset.model._meta.get_field(column).column
            ):
                found.append(child.rhs)

    walk(query.where)
    return found


def _sqlalchemy_constraints(statement: Any, tenant_field: str) -> list[object]:
    import importlib

    # Imported by name: SQLAlchemy is optional and has no stubs here.
    operators = importlib.import_module("sqlalchemy.sql.operators")
    elements = importlib.import_module("sqlalchemy.sql.elements")
    BinaryExpression, BindParameter = elements.BinaryExpression, elements.BindParameter
    # ColumnClause covers both Table columns (schema.Column) and lightweight column() objects.
    BooleanClauseList, Column = elements.BooleanClauseList, elements.ColumnClause

    found: list[object] = []

    def walk(clause: Any) -> None:
        if isinstance(clause, BooleanClauseList):
            if clause.operator is operators.and_:
                for child in clause.clauses:
                    walk(child)
        elif isinstance(clause, BinaryExpression) and clause.operator is operators.eq:
            sides = (clause.left, clause.right)
            for column, value in (sides, sides[::-1]):
                if (
                    isinstance(column, Column)
                    and column.name == tenant_field
                    and isinstance(value, BindParameter)
                ):
                    found.append(value.value)

    if statement.whereclause is not None:
        walk(statement.whereclause)
    return found
