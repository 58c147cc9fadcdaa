"""Retrofitting tenancy: making an existing model, with rows, tenant-scoped.

``makemigrations`` cannot add the NOT NULL tenant foreign key of
:class:`~netrun.rbac.models.TenantScopedModel` to a table that has rows (it asks for a
default, and one default tenant for every row is a leak). Once the model subclasses
``TenantScopedModel``, ``manage.py netrun_rbac_retrofit app_label.Model --tenant-from RULE``
writes one migration (see :func:`plan_retrofit`) that runs, in one transaction:

1. ``AddField``: the tenant foreign key, nullable;
2. :class:`BackfillTenant`: each row's tenant from ``RULE``, inside ``unscoped()``; rows the
   rule gives no tenant stop the migration with :class:`TenantBackfillError` (their count and
   first primary keys), so the transaction rolls the column back: never NULLs left behind,
   never a made-up tenant;
3. ``AlterField``: the foreign key as the model declares it (NOT NULL);
4. :class:`~netrun.rbac.db.operations.EnableRLS` when the model has ``tenant_rls``.

``RULE`` is a field path of foreign keys ending at a foreign key to the tenant model
(``"project__tenant"``), applied in one ``UPDATE``, or the dotted path of a callable
``(row) -> tenant | tenant id | None`` called with each row (the migration's historical
instance). Tables on a path that FORCE row-level security hide every row from the migrating
role, their owner: FORCE is lifted on them inside the migration's transaction and put back
before it ends (logged as ``rbac_retrofit_force_lifted``). A callable reads with whatever the
migrating role may see.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps as global_apps
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models, router, transaction
from django.db.migrations import AddField, AlterField, Migration
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations.base import Operation
from django.db.migrations.questioner import NonInteractiveMigrationQuestioner
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ProjectState
from django.db.migrations.writer import MigrationWriter
from django.db.models import OuterRef, Subquery
from django.utils.module_loading import import_string

from netrun.logging import get_logger
from netrun.rbac.db.operations import EnableRLS
from netrun.rbac.scope import unscoped

__all__ = [
    "BackfillResult",
    "BackfillTenant",
    "RetrofitError",
    "RetrofitPlan",
    "TenantBackfillError",
    "backfill_tenant",
    "dry_run_backfill",
    "plan_retrofit",
]

#: Rows read, and updated, per round trip by a callable rule.
BATCH_SIZE = 2000
#: Primary keys an error or a dry run names.
SAMPLE_SIZE = 10

Rule = str | Callable[[Any], Any]

logger = get_logger("netrun.rbac")


class RetrofitError(ValueError):
    """A retrofit that cannot be planned: a bad model, rule or migration history."""


class TenantBackfillError(Exception):
    """Rows the rule gives no tenant: the migration stops instead of leaving NULLs."""

    def __init__(self, model: str, rule: str, count: int, first_pks: Sequence[object]) -> None:
        self.model = model
        self.rule = rule
        self.count = count
        self.first_pks = list(first_pks)
        shown = ", ".join(repr(pk) for pk in self.first_pks)
        more = ", ..." if count > len(self.first_pks) else ""
        super().__init__(
            f"{count} {model} row(s) get no tenant from the rule {rule!r} (primary keys "
            f"{shown}{more}). Give them one (or delete them) and migrate again: an atomic "
            "migration (PostgreSQL, SQLite) leaves the table as it was."
        )


@dataclass(frozen=True)
class BackfillResult:
    """What a backfill did: rows given a tenant, rows left without one (and the first)."""

    assigned: int
    unassigned: int
    first_unassigned: list[object] = field(default_factory=list)


# ----------------------------------------------------------------- rules


@dataclass(frozen=True)
class _PathRule:
    path: str


@dataclass(frozen=True)
class _CallableRule:
    function: Callable[[Any], Any]


def _rule_text(rule: Rule) -> str:
    if isinstance(rule, str):
        return rule
    return f"{getattr(rule, '__module__', '?')}.{getattr(rule, '__qualname__', repr(rule))}"


def _resolve_rule(model: Any, rule: Rule, tenant_field: str) -> _PathRule | _CallableRule:
    """The rule, checked against ``model`` (a real or a historical model)."""
    if callable(rule):
        return _CallableRule(rule)
    if not isinstance(rule, str) or not rule.strip():
        raise RetrofitError("The tenant rule must be a field path or a callable's dotted path.")
    if "." in rule:
        try:
            function = import_string(rule)
        except ImportError as error:
            raise RetrofitError(f"Tenant rule {rule!r}: cannot import it ({error}).") from None
        if not callable(function):
            raise RetrofitError(f"Tenant rule {rule!r} is not callable.")
        return _CallableRule(function)
    tenant_model = model._meta.get_field(tenant_field).related_model
    current = model
    parts = rule.split("__")
    if parts[0] == tenant_field:
        raise RetrofitError(f"Tenant rule {rule!r} reads the field it is meant to fill.")
    for part in parts:
        try:
            step = current._meta.get_field(part)
        except FieldDoesNotExist:
            raise RetrofitError(
                f"Tenant rule {rule!r}: {current._meta.label} has no field {part!r}."
            ) from None
        if not (step.concrete and (step.many_to_one or step.one_to_one)):
            raise RetrofitError(
                f"Tenant rule {rule!r}: {current._meta.label}.{part} is not a foreign key. "
                "A rule follows foreign keys (and one-to-one fields) only: a reverse or "
                "many-to-many relation could give one row several tenants."
            )
        current = step.related_model
    if current._meta.label_lower != tenant_model._meta.label_lower:
        raise RetrofitError(
            f"Tenant rule {rule!r} ends at {current._meta.label}, not at the tenant model "
            f"{tenant_model._meta.label}: name the foreign key to the tenant "
            "(for example 'project__tenant')."
        )
    return _PathRule(rule)


# ----------------------------------------------------------------- the backfill


def _path_tables(model: Any, path: str) -> list[str]:
    tables = []
    current = model
    for part in path.split("__"):
        current = current._meta.get_field(part).related_model
        tables.append(current._meta.db_table)
    return tables


@contextmanager
def _force_lifted(connection: Any, tables: Sequence[str], label: str) -> Iterator[None]:
    """The tables among ``tables`` whose FORCEd row-level security hides rows from the
    migrating role (their owner) are readable by it for the block.

    ``NO FORCE`` only changes what the owner sees, and it is undone before the block ends
    (or by the rollback): inside the migration's transaction no other session sees it, and
    the tables stay locked until the transaction ends.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE oid = ANY(%s::regclass[]) "
            "AND relforcerowsecurity AND row_security_active(oid) ORDER BY relname",
            [list(dict.fromkeys(tables))],
        )
        hidden = [name for (name,) in cursor.fetchall()]
    if not hidden:
        yield
        return
    if not connection.in_atomic_block:
        raise RetrofitError(
            f"Backfilling {label} reads {', '.join(hidden)} (FORCEd row-level security) "
            "and must run in an atomic migration."
        )
    logger.warning("rbac_retrofit_force_lifted", model=label, tables=hidden)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in hidden:
            cursor.execute(f"ALTER TABLE {quote(table)} NO FORCE ROW LEVEL SECURITY")
    yield
    with connection.cursor() as cursor:
        for table in hidden:
            cursor.execute(f"ALTER TABLE {quote(table)} FORCE ROW LEVEL SECURITY")


def _backfill_path(model: Any, rows: models.QuerySet[Any], path: str, tenant_field: str) -> None:
    using = rows.db
    tenant_of = model._base_manager.using(using).filter(pk=OuterRef("pk")).values(path)[:1]
    label = model._meta.label
    with _force_lifted(connections[using], _path_tables(model, path), label):
        rows.update(**{tenant_field: Subquery(tenant_of)})


def _tenant_id_of(value: Any, tenant_model: Any, rule: str) -> Any:
    if isinstance(value, models.Model):
        if value._meta.label_lower != tenant_model._meta.label_lower:
            raise RetrofitError(
                f"Tenant rule {rule!r} returned a {value._meta.label}, not a "
                f"{tenant_model._meta.label} (or its primary key)."
            )
        return value.pk
    return value


def _backfill_callable(
    model: Any,
    rows: models.QuerySet[Any],
    function: Callable[[Any], Any],
    tenant_field: str,
    rule: str,
) -> None:
    tenant_model = model._meta.get_field(tenant_field).related_model
    tenants = tenant_model._base_manager.using(rows.db)
    batch: dict[Any, list[Any]] = defaultdict(list)

    def flush() -> None:
        known = set(tenants.filter(pk__in=list(batch)).values_list("pk", flat=True))
        for tenant_id, pks in batch.items():
            if tenant_model._meta.pk.to_python(tenant_id) not in known:
                raise RetrofitError(
                    f"Tenant rule {rule!r} returned {tenant_id!r} for {model._meta.label} "
                    f"{pks[0]!r}: no {tenant_model._meta.label} has that primary key."
                )
            rows.filter(pk__in=pks).update(**{tenant_field: tenant_id})
        batch.clear()

    pending = 0
    # Rows already read are the only ones updated (primary key order), so the cursor and
    # the updates never meet.
    for row in rows.order_by("pk").iterator(chunk_size=BATCH_SIZE):
        tenant_id = _tenant_id_of(function(row), tenant_model, rule)
        if tenant_id is None:
            continue
        batch[tenant_id].append(row.pk)
        pending += 1
        if pending >= BATCH_SIZE:
            flush()
            pending = 0
    flush()


def backfill_tenant(
    model: Any, rule: Rule, *, using: str, tenant_field: str = "tenant"
) -> BackfillResult:
    """Give each row of ``model`` whose tenant is NULL its tenant by ``rule``.

    ``model`` has the (nullable) tenant field: a migration's historical model or a real one.
    Runs inside ``unscoped()``; raises nothing for unassigned rows, it counts them.
    """
    resolved = _resolve_rule(model, rule, tenant_field)
    label = model._meta.label
    rows = model._base_manager.using(using).filter(**{f"{tenant_field}__isnull": True})
    with unscoped(reason=f"retrofitting tenancy: backfilling {label}.{tenant_field}"):
        total = rows.count()
        if isinstance(resolved, _PathRule):
            _backfill_path(model, rows, resolved.path, tenant_field)
        else:
            _backfill_callable(model, rows, resolved.function, tenant_field, _rule_text(rule))
        left = rows.count()
        first = list(rows.order_by("pk").values_list("pk", flat=True)[:SAMPLE_SIZE])
    return BackfillResult(total - left, left, first)


class BackfillTenant(Operation):
    """Migration operation: fill a model's nullable tenant field by a rule, or stop.

    ::

        operations = [
            migrations.AddField("invoice", "tenant", models.ForeignKey(..., null=True)),
            BackfillTenant("Invoice", rule="project__tenant"),
            migrations.AlterField("invoice", "tenant", models.ForeignKey(...)),
            EnableRLS("Invoice"),
        ]

    Rows the rule gives no tenant raise :class:`TenantBackfillError`. Backwards it does
    nothing (reversing the ``AddField`` drops the column).
    """

    reversible = True
    reduces_to_sql = False

    def __init__(self, model_name: str, rule: Rule, tenant_field: str = "tenant") -> None:
        self.model_name = model_name
        self.rule = rule
        self.tenant_field = tenant_field

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs: dict[str, Any] = {"model_name": self.model_name, "rule": self.rule}
        if self.tenant_field != "tenant":
            kwargs["tenant_field"] = self.tenant_field
        return (self.__class__.__qualname__, [], kwargs)

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        # Data only: the model state does not change.
        pass

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        alias = schema_editor.connection.alias
        if not self.allow_migrate_model(alias, model):
            return
        result = backfill_tenant(model, self.rule, using=alias, tenant_field=self.tenant_field)
        if result.unassigned:
            raise TenantBackfillError(
                model._meta.label, _rule_text(self.rule), result.unassigned, result.first_unassigned
            )

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        pass

    def describe(self) -> str:
        return f"Backfill {self.model_name}.{self.tenant_field} from {_rule_text(self.rule)}"

    @property
    def migration_name_fragment(self) -> str:
        return f"backfill_{self.model_name.lower()}_{self.tenant_field}"


# ----------------------------------------------------------------- planning the migration


@dataclass
class RetrofitPlan:
    """The retrofit migration of one model: what it does, its source and where it goes."""

    model: Any
    rule: str
    tenant_field: str
    migration: Migration
    path: Path
    source: str
    from_state: ProjectState
    applied_leaf: tuple[str, str] | None
    steps: list[str]
    other_changes: bool


def _tenant_model_check(model: Any) -> str:
    from netrun.rbac.models import TenantScopedModel

    if not (isinstance(model, type) and issubclass(model, TenantScopedModel)):
        raise RetrofitError(
            f"{model._meta.label} is not tenant-scoped yet: make it subclass "
            "netrun.rbac.models.TenantScopedModel first (class Invoice(TenantScopedModel): ...), "
            "then run this command instead of makemigrations."
        )
    return str(model.tenant_field_name)


def plan_retrofit(label: str, rule: str, *, name: str | None = None) -> RetrofitPlan:
    """The migration that makes ``label`` (``"app_label.Model"``) tenant-scoped."""
    try:
        model = global_apps.get_model(label)
    except (LookupError, ValueError):
        raise RetrofitError(
            f"No installed model {label!r} (write it as app_label.Model)."
        ) from None
    tenant_field = _tenant_model_check(model)
    _resolve_rule(model, rule, tenant_field)
    app_label = model._meta.app_label
    model_key = model._meta.model_name or ""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    from_state = loader.project_state()
    known = from_state.models.get((app_label, model_key))
    if known is None:
        raise RetrofitError(
            f"{label} is in no migration of {app_label} yet: there is no table to retrofit, "
            "makemigrations creates it with its tenant field."
        )
    if tenant_field in known.fields:
        raise RetrofitError(
            f"{label} already has its {tenant_field!r} field in {app_label}'s migrations: "
            "nothing to retrofit."
        )
    to_state = ProjectState.from_apps(global_apps)
    nullable = to_state.models[app_label, model_key].fields[tenant_field].clone()
    nullable.null = True
    to_state.models[app_label, model_key].fields[tenant_field] = nullable
    detector = MigrationAutodetector(
        from_state,
        to_state,
        NonInteractiveMigrationQuestioner(specified_apps={app_label}, dry_run=True),
    )
    changes = detector.changes(
        graph=loader.graph, trim_to_apps={app_label}, convert_apps={app_label}
    )
    detected = [op for migration in changes.get(app_label, []) for op in migration.operations]
    own = [
        op
        for op in detected
        if model_key in (getattr(op, "model_name_lower", None), getattr(op, "name_lower", None))
    ]
    if not any(isinstance(op, AddField) and op.name == tenant_field for op in own):
        raise RetrofitError(f"Django sees no new {tenant_field!r} field on {label}.")
    dependencies: set[tuple[str, str]] = set()
    for detected_migration in changes.get(app_label, []):
        dependencies.update(d for d in detected_migration.dependencies if d[0] != app_label)
    leaves = loader.graph.leaf_nodes(app_label)
    leaf = leaves[0] if leaves else None
    if leaf is not None:
        dependencies.add(leaf)
    number = 1
    if leaf is not None and (prefix := leaf[1].split("_", 1)[0]).isdigit():
        number = int(prefix) + 1
    object_name = model._meta.object_name or ""
    operations: list[Operation] = [
        *own,
        BackfillTenant(object_name, rule=rule, tenant_field=tenant_field),
        AlterField(model_key, tenant_field, model._meta.get_field(tenant_field).clone()),
    ]
    steps = [
        f"add {label}.{tenant_field} as a nullable foreign key",
        f"backfill it from {rule!r} inside unscoped(); rows the rule gives no tenant stop "
        "the migration (its transaction rolls back)",
        f"make {label}.{tenant_field} NOT NULL",
    ]
    if getattr(model, "tenant_rls", False):
        operations.append(EnableRLS(object_name, tenant_field=tenant_field))
        steps.append(f"enable row-level security on {model._meta.db_table} (EnableRLS)")
    migration: Any = Migration(f"{number:04d}_{name or f'retrofit_tenant_{model_key}'}", app_label)
    migration.dependencies = sorted(dependencies)
    migration.operations = operations
    writer = MigrationWriter(migration)
    return RetrofitPlan(
        model=model,
        rule=rule,
        tenant_field=tenant_field,
        migration=migration,
        path=Path(writer.path),
        source=writer.as_string(),
        from_state=from_state,
        applied_leaf=leaf,
        steps=steps,
        other_changes=len(own) != len(detected),
    )


def dry_run_backfill(plan: RetrofitPlan, *, using: str) -> BackfillResult:
    """What the backfill would do on ``using``: the column is added and filled inside a
    transaction that is always rolled back, so nothing changes (the table is locked
    meanwhile, as the migration would lock it)."""
    connection = connections[using]
    app_label = plan.migration.app_label
    if connection.vendor != "postgresql":
        raise RetrofitError("Row counts in a dry run need PostgreSQL (DDL that rolls back).")
    if not router.allow_migrate_model(using, plan.model):
        raise RetrofitError(
            f"Migrations of {app_label} do not run on database {using!r} (its routers say "
            "so): pass --database with the alias you migrate."
        )
    applied = MigrationRecorder(connection).applied_migrations()
    if plan.applied_leaf is not None and plan.applied_leaf not in applied:
        raise RetrofitError(
            f"Database {using!r} is not migrated to {plan.applied_leaf[0]}."
            f"{plan.applied_leaf[1]}: run migrate first."
        )
    state = plan.from_state.clone()
    result = BackfillResult(0, 0)
    with transaction.atomic(using=using):
        with connection.schema_editor(atomic=False) as editor:
            for operation in plan.migration.operations:
                if isinstance(operation, BackfillTenant):
                    model = state.apps.get_model(app_label, operation.model_name)
                    result = backfill_tenant(
                        model, operation.rule, using=using, tenant_field=operation.tenant_field
                    )
                    break
                new_state = state.clone()
                operation.state_forwards(app_label, new_state)
                operation.database_forwards(app_label, editor, state, new_state)
                state = new_state
            editor.deferred_sql.clear()
        transaction.set_rollback(True, using=using)
    return result
