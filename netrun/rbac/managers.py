"""The ORM wall: querysets and managers of tenant-scoped models.

The tenant filter is added when a query is *compiled*, not when the queryset is built: a
queryset created at import time (DRF's ``queryset = Ticket.objects.all()``) is scoped to the
tenant of the request that finally runs it, and code with no tenant bound fails with
``TenantContextMissingError`` instead of reading every tenant's rows. Compiling is the one
door every read goes through: ``all()``, ``get``, ``count``, ``exists``, ``aggregate``,
``values``, iteration, prefetches, related managers, subqueries, ``union`` parts and the async
methods (which run the same code in a thread with the caller's context). Writes that build a
different query class (``update``, ``delete``) are resolved before they do.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from django.db import models
from django.db.models import Q
from django.db.models.sql import Query

from netrun.errors import TenantAccessDeniedError
from netrun.logging import get_logger
from netrun.rbac.scope import current_unscoped_reason, is_unscoped, require_tenant

if TYPE_CHECKING:
    from django.db.models.sql.compiler import SQLCompiler

__all__ = ["AllTenantsManager", "TenantScopedManager", "TenantScopedQuery", "TenantScopedQuerySet"]

logger = get_logger("netrun.rbac")

_M = TypeVar("_M", bound=models.Model)

#: The query's tenant is the context's, resolved at compile time.
SCOPE_CONTEXT = "context"
#: Explicitly every tenant (``Model.all_tenants``).
SCOPE_ALL = "all"
#: The tenant filter is already in the WHERE clause.
SCOPE_RESOLVED = "resolved"


def tenant_attname(model: Any) -> str:
    """The column attribute of ``model``'s tenant foreign key (``tenant_id``)."""
    name = getattr(model, "tenant_field_name", "tenant")
    return str(model._meta.get_field(name).attname)


class TenantScopedQuery(Query):
    """A ``Query`` that adds ``tenant_id = <current tenant>`` when it is compiled."""

    netrun_scope: str = SCOPE_CONTEXT
    netrun_tenant_id: str | None = None

    def get_compiler(self, *args: Any, **kwargs: Any) -> SQLCompiler:
        # Django's internal hook: whatever arguments this Django version passes go through.
        query = self.netrun_resolve()
        compiler = super(TenantScopedQuery, query).get_compiler(*args, **kwargs)
        return cast("SQLCompiler", compiler)

    def netrun_resolve(self) -> TenantScopedQuery:
        """This query with the current tenant's filter (itself when already resolved)."""
        if self.netrun_scope != SCOPE_CONTEXT or is_unscoped() or self.combinator:
            # A union's parts are compiled (and scoped) one by one.
            return self
        tenant_id = require_tenant(self.model._meta.label if self.model else "a query")
        clone = cast(TenantScopedQuery, self.clone())
        clone.add_q(Q(**{tenant_attname(self.model): tenant_id}))
        clone.netrun_scope = SCOPE_RESOLVED
        clone.netrun_tenant_id = tenant_id
        return clone


class TenantScopedQuerySet(models.QuerySet[_M], Generic[_M]):
    """A queryset that only ever reads and writes the current tenant's rows."""

    def __init__(
        self,
        model: type[_M] | None = None,
        query: Query | None = None,
        using: str | None = None,
        hints: dict[str, Any] | None = None,
    ) -> None:
        if query is None and model is not None:
            query = TenantScopedQuery(model)
        super().__init__(model, query, using, hints)

    # ----------------------------------------------------------------- scope

    def _netrun_resolved(self) -> TenantScopedQuerySet[_M]:
        clone: TenantScopedQuerySet[_M] = self._chain()  # type: ignore[attr-defined]
        if isinstance(clone.query, TenantScopedQuery):
            clone.query = clone.query.netrun_resolve()
        return clone

    def _netrun_all(self) -> TenantScopedQuerySet[_M]:
        clone: TenantScopedQuerySet[_M] = self._chain()  # type: ignore[attr-defined]
        if isinstance(clone.query, TenantScopedQuery):
            clone.query.netrun_scope = SCOPE_ALL
        return clone

    @property
    def is_all_tenants(self) -> bool:
        """Whether this queryset was explicitly opened to every tenant."""
        return getattr(self.query, "netrun_scope", None) == SCOPE_ALL

    # ----------------------------------------------------------------- writes that swap the query class

    def update(self, **kwargs: Any) -> int:
        return super(TenantScopedQuerySet, self._netrun_resolved()).update(**kwargs)

    def _update(self, *args: Any, **kwargs: Any) -> Any:
        # Django's private signature changes between releases (6.0 added an argument for
        # Model.save()'s returning fields): pass everything through, only add the tenant.
        resolved = super(TenantScopedQuerySet, self._netrun_resolved())
        return resolved._update(*args, **kwargs)  # type: ignore[attr-defined]

    def delete(self) -> tuple[int, dict[str, int]]:
        return super(TenantScopedQuerySet, self._netrun_resolved()).delete()

    def _raw_delete(self, *args: Any, **kwargs: Any) -> int:
        resolved = super(TenantScopedQuerySet, self._netrun_resolved())
        return resolved._raw_delete(*args, **kwargs)  # type: ignore[attr-defined,no-any-return]

    def bulk_create(self, objs: Iterable[_M], *args: Any, **kwargs: Any) -> list[_M]:
        objs = list(objs)
        for obj in objs:
            obj._netrun_check_write(adding=True)  # type: ignore[attr-defined]
            obj._netrun_check_relations()  # type: ignore[attr-defined]
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs: Iterable[_M], fields: Any, batch_size: int | None = None) -> int:
        objs = list(objs)
        for obj in objs:
            obj._netrun_check_write(adding=False)  # type: ignore[attr-defined]
            obj._netrun_check_relations()  # type: ignore[attr-defined]
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def raw(
        self, raw_query: Any, params: Any = (), translations: Any = None, using: Any = None
    ) -> Any:
        # Raw SQL cannot be scoped: only allowed where crossing tenants was made explicit.
        if not (is_unscoped() or self.is_all_tenants):
            raise TenantAccessDeniedError(
                f"raw() on tenant-scoped {self.model._meta.label} cannot be scoped to a tenant; "
                "use the ORM, or Model.all_tenants / unscoped(reason=...) with a tenant predicate",
                model=self.model._meta.label,
            )
        return super().raw(raw_query, params, translations, using)


class TenantScopedManager(models.Manager[_M], Generic[_M]):
    """Default (and base) manager: the current tenant's rows, or an error when none is bound."""

    _queryset_class = TenantScopedQuerySet

    def get_queryset(self) -> TenantScopedQuerySet[_M]:
        return TenantScopedQuerySet(self.model, using=self._db, hints=getattr(self, "_hints", None))


class AllTenantsManager(models.Manager[_M], Generic[_M]):
    """``Model.all_tenants``: every tenant's rows, explicitly; each use is logged.

    ``Model.all_tenants.reason("why")`` logs the reason (the scanner accepts it without an
    inline suppression).
    """

    _queryset_class = TenantScopedQuerySet

    def get_queryset(self) -> TenantScopedQuerySet[_M]:
        return self._open(current_unscoped_reason())

    def reason(self, reason: str) -> TenantScopedQuerySet[_M]:
        """Every tenant's rows, with ``reason`` in the log."""
        if not reason or not reason.strip():
            raise ValueError("all_tenants.reason() needs a non-empty reason")
        return self._open(reason)

    def _open(self, reason: str | None) -> TenantScopedQuerySet[_M]:
        logger.warning(
            "rbac_unscoped",
            via="all_tenants",
            model=self.model._meta.label,
            reason=reason or "unspecified",
        )
        queryset: TenantScopedQuerySet[_M] = TenantScopedQuerySet(
            self.model, using=self._db, hints=getattr(self, "_hints", None)
        )
        return queryset._netrun_all()
