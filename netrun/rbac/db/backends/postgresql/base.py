"""Django's PostgreSQL backend, plus the tenant of the current context on the session.

Session mode, like ``netrun.db_pool``: the tenant is written with
``SELECT set_config('netrun.tenant_id', %s, false)`` before the first statement of each unit
of work (a request, a Celery task, a new or pooled connection) and again whenever the
context's tenant differs from the value last written. ``''`` is written when no tenant is
bound, so the policies see "no tenant" and return no rows.

The value last written is remembered only while it is certain to be on the session. It is
forgotten (and so written again before the next statement) when:

* a connection is opened or taken from Django's pool;
* a transaction or savepoint rolls back (a ``set_config`` made inside it is undone);
* Django's request and task boundaries call ``close_if_unusable_or_obsolete``.

Transaction-local mode (``is_local = true``, for PgBouncer transaction pooling) is not
offered: it would need a write inside every transaction, including each autocommit query.

An RLS violation on write (SQLSTATE 42501, "new row violates row-level security policy")
becomes :class:`~netrun.errors.TenantAccessDeniedError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.backends.postgresql import base as postgresql
from django.db.utils import DatabaseError as DjangoDatabaseError

from netrun.core.context import current_tenant_id
from netrun.errors import TenantAccessDeniedError
from netrun.logging import get_logger
from netrun.rbac.db._sql import SET_TENANT_SQL
from netrun.rbac.db.validation import DatabaseValidation

__all__ = ["DatabaseWrapper", "translate_rls_violation"]

logger = get_logger("netrun.rbac")

#: PostgreSQL's insufficient_privilege: also what a WITH CHECK failure raises.
_INSUFFICIENT_PRIVILEGE = "42501"


def translate_rls_violation(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """Execute wrapper: an RLS write violation becomes ``TenantAccessDeniedError``."""
    try:
        return execute(sql, params, many, context)
    except DjangoDatabaseError as error:
        cause = error.__cause__
        if getattr(
            cause, "sqlstate", None
        ) == _INSUFFICIENT_PRIVILEGE and "row-level security" in str(cause):
            table = getattr(getattr(cause, "diag", None), "table_name", None)
            logger.warning("rbac_rls_violation", table=table, tenant_id=current_tenant_id() or "")
            raise TenantAccessDeniedError(
                "This row belongs to another tenant.", table=table
            ) from error
        raise


class DatabaseWrapper(postgresql.DatabaseWrapper):
    """``django.db.backends.postgresql`` that keeps ``netrun.tenant_id`` in step."""

    validation_class = DatabaseValidation

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # None: unknown, so the next statement writes the value whatever it is.
        self.netrun_tenant_written: str | None = None
        self.execute_wrappers.append(translate_rls_violation)

    def netrun_forget_tenant(self) -> None:
        """Forget the value last written: the next statement writes it again."""
        self.netrun_tenant_written = None

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        self.netrun_forget_tenant()
        return super().get_new_connection(conn_params)

    def _close(self) -> None:
        self.netrun_forget_tenant()
        super()._close()  # type: ignore[misc]

    def _rollback(self) -> None:
        self.netrun_forget_tenant()
        super()._rollback()  # type: ignore[misc]

    def _savepoint_rollback(self, sid: str) -> None:
        self.netrun_forget_tenant()
        super()._savepoint_rollback(sid)  # type: ignore[misc]

    def close_if_unusable_or_obsolete(self) -> None:
        # Called at the start and end of every request and Celery task.
        self.netrun_forget_tenant()
        super().close_if_unusable_or_obsolete()

    def netrun_sync_tenant(self) -> None:
        """Write the context's tenant unless it is certainly on the session already."""
        wanted = current_tenant_id() or ""
        if wanted == self.netrun_tenant_written or self.connection is None:
            return
        if self.needs_rollback:
            # Django refuses every statement until the rollback, which forgets the value.
            return
        with self.wrap_database_errors:
            self.connection.execute(SET_TENANT_SQL, (wanted,))
        self.netrun_tenant_written = wanted

    def _cursor(self, name: str | None = None) -> Any:
        self.close_if_health_check_failed()
        self.ensure_connection()
        self.netrun_sync_tenant()
        return super()._cursor(name)  # type: ignore[misc]
