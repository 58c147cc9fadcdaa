"""The SQL of netrun's row-level security, as plain strings: no Django, no connection.

The operations, the validator and ``bench/rbac_rls.py`` build their statements here, so the
policy that is benchmarked is the policy that is migrated.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = [
    "CROSS_TENANT_POLICY",
    "FLOOR_POLICY",
    "SET_TENANT_SQL",
    "TENANT_POLICY",
    "TENANT_SETTING",
    "current_tenant_expr",
    "disable_statements",
    "enable_statements",
    "floor_predicate",
    "quote_literal",
    "through_predicate",
]

#: The custom setting the policies read (the same one ``netrun.db_pool`` writes).
TENANT_SETTING = "netrun.tenant_id"
#: Session-level write of the tenant, with a bound parameter (never ``SET ... = %s``).
SET_TENANT_SQL = "SELECT set_config('netrun.tenant_id', %s, false)"
#: The policy every tenant table gets.
TENANT_POLICY = "netrun_tenant_isolation"
#: The role-scoped policy of :func:`netrun.rbac.db.cross_tenant`.
CROSS_TENANT_POLICY = "netrun_cross_tenant"
#: The RESTRICTIVE policy every tenant table gets: ANDed with every permissive policy, so a
#: permissive policy added later (``USING (true)``) cannot widen what a tenant sees.
FLOOR_POLICY = "netrun_tenant_floor"

Quote = Callable[[str], str]


def current_tenant_expr(sql_type: str) -> str:
    """The current tenant as ``sql_type``, ``NULL`` when unset or ``''``.

    Wrapped in a scalar ``SELECT`` so PostgreSQL evaluates it once per query (an InitPlan)
    and the comparison stays an index condition; ``missing_ok`` (``true``) and ``nullif``
    turn an unset, reset or cleared value into ``NULL``, which matches no row.
    """
    return f"(SELECT nullif(current_setting('{TENANT_SETTING}', true), '')::{sql_type})"


def quote_literal(value: str) -> str:
    """``value`` as an SQL string literal (role names from settings, never user input)."""
    return "'" + value.replace("'", "''") + "'"


def floor_predicate(predicate: str, cross_tenant_role: str | None) -> str:
    """The restrictive floor: the tenant predicate, or being the cross-tenant role.

    The floor applies to ``PUBLIC`` (every role, whatever policy is added for it later); the
    cross-tenant role passes it only while it is the current role (``SET LOCAL ROLE`` inside
    :func:`netrun.rbac.db.cross_tenant`), never through membership alone.
    """
    if not cross_tenant_role:
        return predicate
    return f"({predicate}) OR current_user = {quote_literal(cross_tenant_role)}"


def through_predicate(
    quote: Quote,
    sides: list[tuple[str, str, str, str, str]],
) -> str:
    """The predicate of an auto-created many-to-many table.

    ``sides`` holds, per tenant-scoped end, ``(fk_column, parent_table, parent_pk,
    parent_tenant_column, tenant_sql_type)``: a link row is visible (and writable) only when
    every tenant-scoped row it joins belongs to the current tenant.
    """
    parts = [
        # Identifiers come from model metadata, quoted; no value is ever interpolated.
        f"EXISTS (SELECT 1 FROM {quote(table)} p WHERE p.{quote(pk)} = {quote(fk)} "  # noqa: S608
        f"AND p.{quote(tenant_col)} = {current_tenant_expr(sql_type)})"
        for fk, table, pk, tenant_col, sql_type in sides
    ]
    return " AND ".join(parts)


def enable_statements(
    quote: Quote,
    table: str,
    predicate: str,
    *,
    app_role: str | None,
    cross_tenant_role: str | None = None,
) -> list[str]:
    """ENABLE and FORCE RLS on ``table``: the tenant policy, its restrictive floor, and the
    cross-tenant policy when a cross-tenant role is set."""
    qtable = quote(table)
    floor = floor_predicate(predicate, cross_tenant_role)
    to_role = quote(app_role) if app_role else "PUBLIC"
    statements = [
        f"ALTER TABLE {qtable} ENABLE ROW LEVEL SECURITY",
        # FORCE: without it the table's owner (the migrating role) ignores the policies.
        f"ALTER TABLE {qtable} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {quote(TENANT_POLICY)} ON {qtable}",
        f"CREATE POLICY {quote(TENANT_POLICY)} ON {qtable} AS PERMISSIVE FOR ALL TO {to_role} "
        f"USING ({predicate}) WITH CHECK ({predicate})",
        f"DROP POLICY IF EXISTS {quote(FLOOR_POLICY)} ON {qtable}",
        f"CREATE POLICY {quote(FLOOR_POLICY)} ON {qtable} AS RESTRICTIVE FOR ALL TO PUBLIC "
        f"USING ({floor}) WITH CHECK ({floor})",
        f"DROP POLICY IF EXISTS {quote(CROSS_TENANT_POLICY)} ON {qtable}",
    ]
    if cross_tenant_role:
        # A policy of its own, for a role the app reaches only by SET ROLE: an "OR is_admin"
        # inside the tenant policy would defeat its index for everybody.
        statements.append(
            f"CREATE POLICY {quote(CROSS_TENANT_POLICY)} ON {qtable} AS PERMISSIVE FOR ALL "
            f"TO {quote(cross_tenant_role)} USING (true) WITH CHECK (true)"
        )
    return statements


def disable_statements(quote: Quote, table: str) -> list[str]:
    """The exact reverse of :func:`enable_statements`."""
    qtable = quote(table)
    return [
        f"DROP POLICY IF EXISTS {quote(CROSS_TENANT_POLICY)} ON {qtable}",
        f"DROP POLICY IF EXISTS {quote(FLOOR_POLICY)} ON {qtable}",
        f"DROP POLICY IF EXISTS {quote(TENANT_POLICY)} ON {qtable}",
        f"ALTER TABLE {qtable} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {qtable} DISABLE ROW LEVEL SECURITY",
    ]
