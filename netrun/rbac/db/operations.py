"""Migration operations that put a tenant-scoped table behind row-level security.

::

    from netrun.rbac.db.operations import EnableRLS

    class Migration(migrations.Migration):
        dependencies = [("tickets", "0001_initial")]
        operations = [EnableRLS("ticket")]

``EnableRLS`` covers the model's table and its auto-created many-to-many tables; its reverse
is ``DisableRLS`` (and the other way round). Each table gets the permissive tenant policy and a
RESTRICTIVE floor with the same predicate, so a permissive policy added later cannot widen it.
``tenant_field`` names a foreign key to the tenant model or a plain column holding the tenant
ID as text (netrun's own LLM tables: ``EnableRLS("BudgetSpend", tenant_field="tenant_id")``).
``rls_backend_only=True`` (netrun's own migrations) applies the operation only when the
migrating connection uses ``netrun.rbac.db.backends.postgresql``. ``manage.py netrun_rls_migrations <app_label>``
writes these migrations for every ``tenant_rls = True`` model not yet covered. Both are no-ops
on databases other than PostgreSQL, so the same migrations run on SQLite in development.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

from netrun.rbac.conf import conf
from netrun.rbac.db import _sql

__all__ = ["OWN_TENANT_TABLES", "DisableRLS", "EnableRLS", "own_tenant_models", "rls_tables"]

#: netrun's own tenant-bearing models, ``(app_label, model_name, tenant_field)``: their apps'
#: migrations enable row-level security on them, and the RLS checks validate them whenever
#: their app is installed.
OWN_TENANT_TABLES: tuple[tuple[str, str, str], ...] = (
    ("netrun_rbac", "Role", "tenant"),
    ("netrun_llm", "TenantPolicyRecord", "tenant_id"),
    ("netrun_llm", "BudgetAccount", "tenant_id"),
    ("netrun_llm", "BudgetSpend", "tenant_id"),
    ("netrun_llm", "BudgetReservation", "tenant_id"),
    ("netrun_llm", "LLMUsageRecord", "tenant_id"),
    ("netrun_llm", "LLMUsageHourly", "tenant_id"),
    ("netrun_llm", "LLMUsageTag", "tenant_id"),
    ("netrun_llm", "LLMUsageScopeDaily", "tenant_id"),
    ("netrun_llm", "ScopeBudgetRecord", "tenant_id"),
    ("netrun_llm", "BudgetAlert", "tenant_id"),
)

# Plain columns compare as text: a cast to varchar(n) would truncate a longer setting.
_TEXT_TYPES = frozenset({"CharField", "TextField", "SlugField"})


def own_tenant_models() -> list[tuple[Any, str]]:
    """``(model, tenant_field)`` of :data:`OWN_TENANT_TABLES` whose app is installed."""
    from django.apps import apps

    found = []
    for app_label, model_name, tenant_field in OWN_TENANT_TABLES:
        try:
            found.append((apps.get_model(app_label, model_name), tenant_field))
        except LookupError:
            continue
    return found


def _tenant_column(model: Any, tenant_field: str, connection: Any) -> tuple[str, str]:
    """``(column, sql_type)`` of the tenant: a foreign key's target type, or a plain column's."""
    field = model._meta.get_field(tenant_field)
    target = getattr(field, "target_field", None)
    if target is not None:
        return field.column, str(target.rel_db_type(connection))
    if field.get_internal_type() in _TEXT_TYPES:
        return field.column, "text"
    return field.column, str(field.db_type(connection))


def rls_tables(
    model: Any, connection: Any, *, tenant_field: str = "tenant"
) -> list[tuple[str, str]]:
    """``(table, predicate)`` for ``model`` and its auto-created many-to-many tables.

    Works on historical models (a migration's state) and on real ones.
    """
    column, sql_type = _tenant_column(model, tenant_field, connection)
    quote = connection.ops.quote_name
    tables = [(model._meta.db_table, f"{quote(column)} = {_sql.current_tenant_expr(sql_type)}")]
    for m2m in model._meta.local_many_to_many:
        through = m2m.remote_field.through
        if isinstance(through, str) or not through._meta.auto_created:
            # An explicit through model is a model of its own: scope it as one.
            continue
        sides = []
        for fk in through._meta.get_fields():
            related = getattr(fk, "related_model", None)
            if not getattr(fk, "many_to_one", False) or related is None:
                continue
            try:
                r_column, r_type = _tenant_column(related, tenant_field, connection)
            except Exception:  # noqa: S112 - an end without a tenant needs no condition
                continue
            sides.append(
                (fk.column, related._meta.db_table, related._meta.pk.column, r_column, r_type)
            )
        tables.append((through._meta.db_table, _sql.through_predicate(quote, sides)))
    return tables


class _RLSOperation(Operation):
    reversible = True
    reduces_to_sql = True
    _enable = True

    def __init__(
        self, model_name: str, tenant_field: str = "tenant", *, rls_backend_only: bool = False
    ) -> None:
        self.model_name = model_name
        self.tenant_field = tenant_field
        self.rls_backend_only = rls_backend_only

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs: dict[str, Any] = {"model_name": self.model_name}
        if self.tenant_field != "tenant":
            kwargs["tenant_field"] = self.tenant_field
        if self.rls_backend_only:
            kwargs["rls_backend_only"] = True
        return (self.__class__.__qualname__, [], kwargs)

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        # Policies live in the database only; the model state does not change.
        pass

    def _run(
        self,
        enable: bool,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        state: ProjectState,
    ) -> None:
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        if self.rls_backend_only and not hasattr(connection, "netrun_forget_tenant"):
            # A reusable app's tables (netrun's own): only where the project runs netrun's
            # backend, which writes the tenant the policies read. Elsewhere FORCEd policies
            # would hide every row from a non-superuser owner.
            return
        model = state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(connection.alias, model):
            return
        quote = connection.ops.quote_name
        for table, predicate in rls_tables(model, connection, tenant_field=self.tenant_field):
            statements = (
                _sql.enable_statements(
                    quote,
                    table,
                    predicate,
                    app_role=conf.rls_app_role,
                    cross_tenant_role=conf.rls_cross_tenant_role,
                )
                if enable
                else _sql.disable_statements(quote, table)
            )
            for statement in statements:
                schema_editor.execute(statement, params=None)

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        self._run(self._enable, app_label, schema_editor, to_state)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        self._run(not self._enable, app_label, schema_editor, from_state)

    @property
    def migration_name_fragment(self) -> str:
        action = "enable" if self._enable else "disable"
        return f"{action}_rls_{self.model_name.lower()}"


class EnableRLS(_RLSOperation):
    """ENABLE + FORCE row-level security on a model's tables: the tenant policy, its
    restrictive floor, and the cross-tenant policy when a cross-tenant role is set."""

    _enable = True

    def describe(self) -> str:
        return f"Enable row-level security on {self.model_name}"


class DisableRLS(_RLSOperation):
    """Drop the policies and disable row-level security (the reverse of :class:`EnableRLS`)."""

    _enable = False

    def describe(self) -> str:
        return f"Disable row-level security on {self.model_name}"
