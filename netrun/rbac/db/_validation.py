"""Validation of the row-level security setup, as a list of problems and as system checks.

:func:`validate_rls_policies` asks the database (the catalogs, never the migrations) whether
each tenant table is really protected for the role the app connects as. The tenant tables are
those of every ``tenant_rls`` model plus netrun's own (``OWN_TENANT_TABLES`` of
:mod:`netrun.rbac.db.operations`: the LLM ledger, policy and usage tables, custom roles) whose
app is installed.

==================  ===================  ==================================================
Code                System check ID      Reported when
==================  ===================  ==================================================
``no_rls``          ``netrun.rbac.E101``  a tenant table does not ENABLE row-level security
``no_force``        ``netrun.rbac.E102``  ... does not FORCE it (its owner bypasses it)
``no_policy``       ``netrun.rbac.E103``  ... has no policy on ``netrun.tenant_id``
``no_with_check``   ``netrun.rbac.E104``  a policy lacks ``WITH CHECK`` (writes unchecked)
``superuser``       ``netrun.rbac.E105``  the app role is a superuser
``bypassrls``       ``netrun.rbac.E106``  the app role has BYPASSRLS
``bypass_member``   ``netrun.rbac.E107``  the app role can become a bypassing role
``inherits_cross``  ``netrun.rbac.E108``  the app role inherits the cross-tenant role
``owner``           ``netrun.rbac.E109``  the app role owns a tenant table
``missing_table``   ``netrun.rbac.E110``  a tenant table does not exist
``no_role``         ``netrun.rbac.E111``  the app role does not exist
``no_floor``        ``netrun.rbac.E112``  no RESTRICTIVE policy on ``netrun.tenant_id``: an
                                          added permissive policy would widen access
``unindexed``       ``netrun.rbac.W101``  no index starts with the tenant column
``view``            ``netrun.rbac.W102``  a view over a tenant table lacks security_invoker
``matview``         ``netrun.rbac.W103``  a materialized view reads a tenant table
``unique``          ``netrun.rbac.W104``  a unique constraint leaves out the tenant column
``extra_policy``    ``netrun.rbac.W105``  a permissive policy not netrun's (the floor bounds it)
==================  ===================  ==================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.checks import CheckMessage, Error, Warning
from django.db import connections
from django.db.backends.base.validation import BaseDatabaseValidation
from django.db.utils import OperationalError

from netrun.rbac.conf import conf
from netrun.rbac.db import _sql

__all__ = ["CHECK_IDS", "DatabaseValidation", "RLSProblem", "validate_rls_policies"]

CHECK_IDS = {
    "no_rls": "netrun.rbac.E101",
    "no_force": "netrun.rbac.E102",
    "no_policy": "netrun.rbac.E103",
    "no_with_check": "netrun.rbac.E104",
    "superuser": "netrun.rbac.E105",
    "bypassrls": "netrun.rbac.E106",
    "bypass_member": "netrun.rbac.E107",
    "inherits_cross": "netrun.rbac.E108",
    "owner": "netrun.rbac.E109",
    "missing_table": "netrun.rbac.E110",
    "no_role": "netrun.rbac.E111",
    "no_floor": "netrun.rbac.E112",
    "unindexed": "netrun.rbac.W101",
    "view": "netrun.rbac.W102",
    "matview": "netrun.rbac.W103",
    "unique": "netrun.rbac.W104",
    "extra_policy": "netrun.rbac.W105",
}


@dataclass(frozen=True)
class RLSProblem:
    """One finding: ``code`` (see the table above), the object it is about, and why."""

    code: str
    obj: str
    message: str

    @property
    def check_id(self) -> str:
        return CHECK_IDS[self.code]

    @property
    def is_error(self) -> bool:
        return ".E" in self.check_id

    def __str__(self) -> str:
        return f"{self.check_id} {self.obj}: {self.message}"


_NETRUN_POLICIES = frozenset({_sql.TENANT_POLICY, _sql.CROSS_TENANT_POLICY})


@dataclass(frozen=True)
class _Table:
    name: str
    tenant_column: str


def _tenant_tables(connection: Any) -> list[_Table]:
    from netrun.rbac.db.operations import own_tenant_models, rls_tables
    from netrun.rbac.registry import tenant_scoped_models

    tables: list[_Table] = []
    models = [
        (m, getattr(m, "tenant_field_name", "tenant")) for m in tenant_scoped_models(rls_only=True)
    ]
    for model, field_name in [*models, *own_tenant_models()]:
        column = model._meta.get_field(field_name).column
        for table, _predicate in rls_tables(model, connection, tenant_field=field_name):
            # A many-to-many table has no tenant column: its policy joins the parents.
            tables.append(_Table(table, column if table == model._meta.db_table else ""))
    return tables


def _rows(cursor: Any, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
    cursor.execute(sql, list(params))
    return list(cursor.fetchall())


def _role_problems(cursor: Any, role: str) -> list[RLSProblem]:
    problems: list[RLSProblem] = []
    found = _rows(cursor, "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", [role])
    if not found:
        return [RLSProblem("no_role", role, "the app role does not exist")]
    superuser, bypass = found[0]
    if superuser:
        problems.append(RLSProblem("superuser", role, "superusers ignore row-level security"))
    if bypass:
        problems.append(RLSProblem("bypassrls", role, "BYPASSRLS ignores row-level security"))
    # MEMBER: the role could SET ROLE to it, inheriting or not.
    for (name,) in _rows(
        cursor,
        "SELECT r.rolname FROM pg_roles r WHERE (r.rolsuper OR r.rolbypassrls) "
        "AND r.rolname <> %s AND pg_has_role(%s, r.oid, 'MEMBER') ORDER BY 1",
        [role, role],
    ):
        problems.append(
            RLSProblem("bypass_member", role, f"is a member of {name}, which bypasses RLS")
        )
    cross = conf.rls_cross_tenant_role
    if cross and cross != role:
        inherited = _rows(
            cursor,
            "SELECT pg_has_role(%s, r.oid, 'USAGE') FROM pg_roles r WHERE r.rolname = %s",
            [role, cross],
        )
        if inherited and inherited[0][0]:
            problems.append(
                RLSProblem(
                    "inherits_cross",
                    role,
                    f"inherits {cross}: the cross-tenant policy applies to every query "
                    "(make the app role NOINHERIT)",
                )
            )
    return problems


def _table_problems(cursor: Any, table: _Table, role: str) -> list[RLSProblem]:
    found = _rows(
        cursor,
        "SELECT c.oid, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner) "
        "FROM pg_class c WHERE c.oid = to_regclass(%s)",
        [table.name],
    )
    if not found:
        return [RLSProblem("missing_table", table.name, "the table does not exist (migrate?)")]
    oid, enabled, forced, owner = found[0]
    problems: list[RLSProblem] = []
    if not enabled:
        problems.append(RLSProblem("no_rls", table.name, "row-level security is not enabled"))
    if not forced:
        problems.append(RLSProblem("no_force", table.name, "row-level security is not FORCEd"))
    if owner == role:
        problems.append(RLSProblem("owner", table.name, f"the app role {role} owns the table"))
    policies = _rows(
        cursor,
        "SELECT policyname, cmd, roles::text[], coalesce(qual, ''), with_check, permissive "
        "FROM pg_policies WHERE schemaname = (SELECT n.nspname FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = %s) AND tablename = %s",
        [oid, table.name],
    )
    applies = [p for p in policies if role in p[2] or "public" in p[2]]
    tenant_policies = [p for p in applies if _sql.TENANT_SETTING in p[3]]
    floors = [
        p
        for p in tenant_policies
        if p[5] == "RESTRICTIVE" and p[1] == "ALL" and p[4] and _sql.TENANT_SETTING in p[4]
    ]
    if tenant_policies and not floors:
        problems.append(
            RLSProblem(
                "no_floor",
                table.name,
                f"no RESTRICTIVE policy for {role} reads {_sql.TENANT_SETTING}: a permissive "
                "policy added later widens access (re-run EnableRLS to add the floor)",
            )
        )
    for name, _cmd, _roles, _qual, _check, permissive in policies:
        if permissive == "PERMISSIVE" and name not in _NETRUN_POLICIES:
            problems.append(
                RLSProblem(
                    "extra_policy",
                    table.name,
                    f"permissive policy {name} is not netrun's: "
                    + (
                        "the restrictive floor bounds it to the current tenant"
                        if floors
                        else "it widens what every role it names can see"
                    ),
                )
            )
    if not tenant_policies:
        problems.append(
            RLSProblem(
                "no_policy",
                table.name,
                f"no policy for {role} reads {_sql.TENANT_SETTING}",
            )
        )
    for name, cmd, _roles, _qual, with_check, _permissive in policies:
        if cmd in ("ALL", "INSERT", "UPDATE") and with_check is None:
            problems.append(
                RLSProblem(
                    "no_with_check",
                    table.name,
                    f"policy {name} has no WITH CHECK: rows can be written for another tenant",
                )
            )
    if table.tenant_column:
        indexed = _rows(
            cursor,
            "SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = i.indkey[0] WHERE i.indrelid = %s AND a.attname = %s",
            [oid, table.tenant_column],
        )
        if not indexed:
            problems.append(
                RLSProblem(
                    "unindexed",
                    table.name,
                    f"no index starts with {table.tenant_column}: every policy check scans",
                )
            )
        for (index,) in _rows(
            cursor,
            "SELECT ic.relname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
            "WHERE i.indrelid = %s AND i.indisunique AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = i.indrelid "
            "AND a.attname = %s AND a.attnum = ANY(i.indkey)) ORDER BY 1",
            [oid, table.tenant_column],
        ):
            problems.append(
                RLSProblem(
                    "unique",
                    table.name,
                    f"unique index {index} leaves out {table.tenant_column}: it leaks whether "
                    "another tenant holds a value",
                )
            )
    return problems


def _view_problems(cursor: Any, tables: list[_Table]) -> list[RLSProblem]:
    names = [t.name for t in tables]
    problems: list[RLSProblem] = []
    for view, kind, options in _rows(
        cursor,
        "SELECT DISTINCT v.relname, v.relkind, coalesce(v.reloptions, '{}')::text[] "
        "FROM pg_rewrite rw JOIN pg_class v ON v.oid = rw.ev_class "
        "JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid "
        "JOIN pg_class t ON t.oid = d.refobjid "
        "WHERE v.relkind IN ('v', 'm') AND t.oid <> v.oid AND t.relname = ANY(%s) ORDER BY 1",
        [names],
    ):
        if kind == "m":
            problems.append(
                RLSProblem(
                    "matview",
                    view,
                    "a materialized view stores every tenant's rows and has no policies",
                )
            )
        elif not any(
            o.lower() in ("security_invoker=true", "security_invoker=on", "security_invoker=1")
            for o in options
        ):
            problems.append(
                RLSProblem(
                    "view",
                    view,
                    "the view runs with its owner's rights (set security_invoker = true)",
                )
            )
    return problems


def validate_rls_policies(
    connection: Any = None, *, using: str | None = None, app_role: str | None = None
) -> list[RLSProblem]:
    """Every problem of the RLS setup seen through ``connection`` (or alias ``using``).

    ``app_role`` defaults to ``NETRUN_RBAC_RLS_APP_ROLE``, else the role the connection logs
    in as. An empty list means the setup passes.
    """
    if connection is None:
        connection = connections[using or conf.rls_database]
    tables = _tenant_tables(connection)
    with connection.cursor() as cursor:
        role = app_role or conf.rls_app_role or _rows(cursor, "SELECT session_user")[0][0]
        problems = _role_problems(cursor, role)
        for table in tables:
            problems.extend(_table_problems(cursor, table, role))
        problems.extend(_view_problems(cursor, tables))
    return problems


def problems_as_checks(problems: Iterable[RLSProblem]) -> list[CheckMessage]:
    """``problems`` as Django system check messages."""
    return [
        (Error if problem.is_error else Warning)(
            f"{problem.obj}: {problem.message}", id=problem.check_id
        )
        for problem in problems
    ]


class DatabaseValidation(BaseDatabaseValidation):
    """Adds the RLS checks to ``manage.py check --database <alias>`` (and ``migrate``).

    Only the alias the app connects as (``NETRUN_RBAC_RLS_DATABASE``) is validated, and only
    when the server answers.
    """

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        messages: list[CheckMessage] = list(super().check(**kwargs))
        if self.connection.alias != conf.rls_database:
            return messages
        try:
            problems = validate_rls_policies(self.connection)
        except OperationalError:
            return messages
        return messages + problems_as_checks(problems)
