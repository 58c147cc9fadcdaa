"""Django's PostgreSQL backend, plus the tenant of the current context on the server.

``NETRUN_RBAC_TENANT_SCOPE`` chooses how ``netrun.tenant_id`` reaches the server.

**Session scope** (the default), like ``netrun.db_pool``: the tenant is written with
``SELECT set_config('netrun.tenant_id', %s, false)`` before the first statement of each unit
of work and again whenever the context's tenant differs from the value last written. ``''``
is written when no tenant is bound, so the policies see "no tenant" and return no rows. The
value last written is forgotten (and so written again before the next statement) when a
connection is opened or taken from Django's pool, after a transaction or savepoint rolls
back (a ``set_config`` made inside it is undone), and at Django's request and task
boundaries (``close_if_unusable_or_obsolete``). Nothing is written while the transaction is
aborted: that would turn a recoverable error in a savepoint into a failed transaction.

A transaction pooler hands each transaction to any server session, so a session-level value
is not this connection's any more. The session write also returns ``pg_backend_pid()``; a
pooler makes up the process id the client got at connection time, so the two differ behind
one. Then (or always, with ``NETRUN_RBAC_TENANT_SESSION_CHECK = "always"``) every statement
runs in a transaction that first reads the tenant back, and a value other than the one this
connection wrote raises :class:`TenantScopeMismatchError`: the query is refused, not served.

**Transaction scope**: ``SELECT set_config('netrun.tenant_id', %s, true)`` is the first
statement of every transaction, and again inside it when the context's tenant changes. A
statement Django would run in autocommit mode runs in a transaction of its own (``BEGIN``,
the tenant, the statement, ``COMMIT``). Savepoints and nested ``atomic`` blocks keep the
value; after a savepoint rolls back it is written again.

An RLS violation on write (SQLSTATE 42501, "new row violates row-level security policy")
becomes :class:`~netrun.errors.TenantAccessDeniedError`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.db.backends.postgresql import base as postgresql
from django.db.utils import DatabaseError as DjangoDatabaseError

from netrun.core.context import current_tenant_id
from netrun.errors import ConfigurationError, TenantAccessDeniedError
from netrun.logging import get_logger
from netrun.rbac.conf import conf
from netrun.rbac.db._validation import DatabaseValidation

__all__ = ["DatabaseWrapper", "TenantScopeMismatchError", "translate_rls_violation"]

logger = get_logger("netrun.rbac")

#: PostgreSQL's insufficient_privilege: also what a WITH CHECK failure raises.
_INSUFFICIENT_PRIVILEGE = "42501"

#: The session write, returning the server process id: the client compares it with the id it
#: got at connection time, which a pooler (PgBouncer, RDS Proxy, Supavisor, pgcat) makes up.
SET_TENANT_SQL_WITH_PID = "SELECT set_config('netrun.tenant_id', %s, false), pg_backend_pid()"
#: Transaction-local write: undone at COMMIT or ROLLBACK, so a pooler that hands the server
#: session to another client after the transaction hands it over without a tenant.
SET_TENANT_LOCAL_SQL = "SELECT set_config('netrun.tenant_id', %s, true)"
#: What a session-scoped connection reads back inside a transaction behind a pooler.
VERIFY_TENANT_SQL = "SELECT coalesce(current_setting('netrun.tenant_id', true), '')"

# What the per-transaction step does: write the tenant (transaction scope) or read it back
# (session scope behind a pooler).
_SET = "set"
_VERIFY = "verify"


class TenantScopeMismatchError(ConfigurationError):
    """The server session holds another tenant than this connection wrote: a transaction
    pooler is in front of a session-scoped connection. The statement was not run."""

    error_code = "TENANT_SCOPE_MISMATCH"
    default_message = "The database session does not hold this request's tenant."


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


def _transaction_status(connection: Any) -> Any:
    from psycopg.pq import TransactionStatus

    status = connection.info.transaction_status
    if status == TransactionStatus.INERROR:
        return "error"
    if status == TransactionStatus.IDLE:
        return "idle"
    return "open"


class DatabaseWrapper(postgresql.DatabaseWrapper):
    """``django.db.backends.postgresql`` that keeps ``netrun.tenant_id`` in step."""

    validation_class = DatabaseValidation

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Session scope: the value on the session; None: unknown, so the next statement
        # writes it whatever it is.
        self.netrun_tenant_written: str | None = None
        # Per-transaction step: the value written (or verified) in the open transaction.
        self.netrun_transaction_tenant: str | None = None
        # "set", "verify" or None (session scope straight to PostgreSQL: nothing to do).
        self.netrun_transaction_step: str | None = None
        # Session scope: whether the first write found a pooler in front (None: not yet).
        self.netrun_pooler_detected: bool | None = None
        self.execute_wrappers.append(translate_rls_violation)
        # Last, so it runs right around the statement, inside every other wrapper.
        self.execute_wrappers.append(self._netrun_tenant_step)

    @property
    def netrun_tenant_scope(self) -> str:
        return conf.checked_tenant_scope()

    def netrun_forget_tenant(self) -> None:
        """Forget the value last written: the next statement writes it again."""
        self.netrun_tenant_written = None
        self.netrun_transaction_tenant = None

    def get_new_connection(self, *args: Any, **kwargs: Any) -> Any:
        self.netrun_forget_tenant()
        self.netrun_pooler_detected = None
        if self.netrun_tenant_scope == "transaction":
            self.netrun_transaction_step = _SET
        elif conf.checked_tenant_session_check() == "always":
            self.netrun_transaction_step = _VERIFY
        else:
            self.netrun_transaction_step = None
        return super().get_new_connection(*args, **kwargs)

    def _close(self, *args: Any, **kwargs: Any) -> Any:
        self.netrun_forget_tenant()
        return super()._close(*args, **kwargs)  # type: ignore[misc]

    def _commit(self, *args: Any, **kwargs: Any) -> Any:
        self.netrun_transaction_tenant = None
        return super()._commit(*args, **kwargs)  # type: ignore[misc]

    def _rollback(self, *args: Any, **kwargs: Any) -> Any:
        self.netrun_forget_tenant()
        return super()._rollback(*args, **kwargs)  # type: ignore[misc]

    def _savepoint_rollback(self, *args: Any, **kwargs: Any) -> Any:
        # ROLLBACK TO SAVEPOINT first: the transaction may be aborted, and nothing but the
        # rollback may run in it. Only then is a value written inside the savepoint gone.
        try:
            return super()._savepoint_rollback(*args, **kwargs)  # type: ignore[misc]
        finally:
            self.netrun_forget_tenant()

    def close_if_unusable_or_obsolete(self, *args: Any, **kwargs: Any) -> Any:
        # Called at the start and end of every request and Celery task.
        self.netrun_tenant_written = None
        return super().close_if_unusable_or_obsolete(*args, **kwargs)

    def netrun_sync_tenant(self) -> None:
        """Session scope: write the context's tenant unless it is on the session already."""
        if self.netrun_transaction_step == _SET or self.connection is None:
            return
        wanted = current_tenant_id() or ""
        if wanted == self.netrun_tenant_written:
            return
        if self.needs_rollback or _transaction_status(self.connection) == "error":
            # Only a rollback may run now, and it forgets the value.
            return
        with self.wrap_database_errors:
            row = self.connection.execute(SET_TENANT_SQL_WITH_PID, (wanted,)).fetchone()
        self.netrun_tenant_written = wanted
        if self.netrun_pooler_detected is None:
            self._netrun_detect_pooler(int(row[1]) if row else 0)

    def _netrun_detect_pooler(self, server_pid: int) -> None:
        detected = server_pid != self.connection.info.backend_pid
        self.netrun_pooler_detected = detected
        if detected and self.netrun_transaction_step is None:
            check = conf.checked_tenant_session_check()
            if check != "off":
                self.netrun_transaction_step = _VERIFY
            logger.warning(
                "rbac_tenant_pooler_detected",
                database=self.alias,
                scope="session",
                session_check=check,
            )

    def _cursor(self, *args: Any, **kwargs: Any) -> Any:
        self.close_if_health_check_failed()
        self.ensure_connection()
        self.netrun_sync_tenant()
        return super()._cursor(*args, **kwargs)  # type: ignore[misc]

    # Per-transaction step (transaction scope, and session scope behind a pooler).

    def _netrun_tenant_step(
        self,
        execute: Callable[..., Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        statement = partial(execute, sql, params, many, context)
        step = self.netrun_transaction_step
        if step is None or self.connection is None:
            return statement()
        status = _transaction_status(self.connection)
        if status == "error":
            # ROLLBACK TO SAVEPOINT (or a statement that will fail anyway).
            return statement()
        wanted = current_tenant_id() or ""
        if status == "idle" and self.get_autocommit():
            return self._netrun_in_own_transaction(step, wanted, statement)
        if status == "idle" or self.netrun_transaction_tenant != wanted:
            # The first statement of an atomic block's transaction (psycopg begins it), or
            # the context's tenant changed inside the transaction.
            self._netrun_step(step, wanted, begin=False)
        return statement()

    def _netrun_step(self, step: str, wanted: str, *, begin: bool) -> None:
        conn = self.connection
        with self.wrap_database_errors:
            if step == _SET:
                if begin:
                    from psycopg import sql

                    # One round trip: BEGIN and the write, the value quoted by psycopg.
                    conn.execute(
                        sql.SQL("BEGIN; SELECT set_config('netrun.tenant_id', {}, true)").format(
                            sql.Literal(wanted)
                        )
                    )
                else:
                    conn.execute(SET_TENANT_LOCAL_SQL, (wanted,))
                self.netrun_transaction_tenant = wanted
                return
            cursor = conn.execute(("BEGIN; " if begin else "") + VERIFY_TENANT_SQL)
            if begin:
                cursor.nextset()  # past BEGIN's result, to the SELECT's
            row = cursor.fetchone()
        found = "" if row is None else str(row[0])
        if found != wanted:
            logger.error(
                "rbac_tenant_session_mismatch",
                database=self.alias,
                pooler_detected=self.netrun_pooler_detected,
            )
            raise TenantScopeMismatchError(
                "The database session holds another tenant than this connection wrote: a "
                "transaction pooler is in front of it. Set NETRUN_RBAC_TENANT_SCOPE = "
                '"transaction" (or put the pooler in session mode).',
                database=self.alias,
            )
        self.netrun_transaction_tenant = wanted

    def _netrun_in_own_transaction(
        self, step: str, wanted: str, statement: Callable[[], Any]
    ) -> Any:
        """An autocommit statement, in a transaction that starts with the tenant step."""
        conn = self.connection
        try:
            self._netrun_step(step, wanted, begin=True)
            result = statement()
        except BaseException:
            self.netrun_transaction_tenant = None
            try:
                if not conn.closed and _transaction_status(conn) != "idle":
                    conn.execute("ROLLBACK")
            except Exception:  # noqa: S110 - a dead connection: the original error says why
                pass
            raise
        self.netrun_transaction_tenant = None
        with self.wrap_database_errors:
            conn.execute("COMMIT")
        return result
