"""Server-side functions of :class:`~netrun.llm.policy.ledgers.sql.SQLLedger`.

Each ledger operation is one PL/pgSQL function, so ``reserve``, ``settle`` and ``release`` each
cost one round trip; called in autocommit, a function runs in its own implicit transaction, so
there is no ``BEGIN``/``COMMIT`` either. The bodies keep the protocol of the Python version
they replace: lock the tenant's account row first (the one lock per tenant, taken before any
window row, is what rules out deadlocks), sweep expired holds, check every window, hold. A window is any scope's (the tenant's ``day``
or ``user:42/day``): all of one call's are checked, then all held, in the same function.

The functions resolve table names with the ``search_path`` that was current when
:meth:`SQLLedger.create_tables` ran (``SET search_path FROM CURRENT``), so they always work on
the tables created beside them, whatever the caller's ``search_path``.

Framework-neutral: no Django import.
"""

from __future__ import annotations

__all__ = ["FUNCTIONS_DDL"]

# Gives back the amounts of the holds that the CTE ``dropped`` (a DELETE ... RETURNING
# amount_micros, windows) removed; it continues that WITH clause.
# Holds store their windows as "day:2025-06-01,user:42/day:2025-06-01" (base.encode_windows):
# the period key is all but the last 11 characters (":" and the ISO date), since a scope's key
# holds ":" too.
_UNRESERVE_DROPPED = """,
    parts AS (
        SELECT d.amount_micros AS amount,
               left(k, length(k) - 11) AS period,
               right(k, 10)::date AS period_start
        FROM dropped AS d, unnest(string_to_array(d.windows, ',')) AS k
        WHERE k <> ''
    ), total AS (
        SELECT period, period_start, sum(amount)::bigint AS amount
        FROM parts GROUP BY period, period_start
    )
    UPDATE netrun_llm_budget_spend AS s
    SET reserved_micros = s.reserved_micros - total.amount, updated_at = now()
    FROM total
    WHERE s.tenant_id = p_tenant AND s.period = total.period
      AND s.period_start = total.period_start
"""

_LOCK_TENANT = """
    PERFORM 1 FROM netrun_llm_budget_account WHERE tenant_id = p_tenant FOR UPDATE;
    IF NOT FOUND THEN
        -- A concurrent first reservation may insert the row too; either way it exists after
        -- this statement (ON CONFLICT waits for the other insert), and each statement of a
        -- function sees rows committed before it started, so the second lock finds it.
        INSERT INTO netrun_llm_budget_account (tenant_id) VALUES (p_tenant)
            ON CONFLICT (tenant_id) DO NOTHING;
        PERFORM 1 FROM netrun_llm_budget_account WHERE tenant_id = p_tenant FOR UPDATE;
    END IF;
"""

# Drops the hold p_id, if it is still there, and gives its amount back to its windows.
_DROP_HOLD = f"""    {_LOCK_TENANT}
    WITH dropped AS (
        DELETE FROM netrun_llm_budget_reservation
        WHERE tenant_id = p_tenant AND id = p_id
        RETURNING amount_micros, windows
    ) {_UNRESERVE_DROPPED};"""  # noqa: S608 - constants only

FUNCTIONS_DDL = f"""
-- NULL when admitted; otherwise {{1-based index of the first refusing window, its spent,
-- its reserved}}. Refusing returns instead of raising: a budget running dry is routine and
-- must not fill the server log with ERROR lines. Expired holds swept before the refusal stay
-- swept (they were stale either way, as in the Redis ledger).
CREATE OR REPLACE FUNCTION netrun_llm_reserve(
    p_tenant varchar, p_id varchar, p_periods varchar[], p_starts date[], p_limits bigint[],
    p_amount bigint, p_ttl double precision, p_windows varchar
) RETURNS bigint[]
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $fn$
DECLARE
    v_spent bigint;
    v_reserved bigint;
    v_missing boolean := false;
BEGIN
    {_LOCK_TENANT}
    WITH dropped AS (
        DELETE FROM netrun_llm_budget_reservation
        WHERE tenant_id = p_tenant AND expires_at <= now()
        RETURNING amount_micros, windows
    ) {_UNRESERVE_DROPPED};

    FOR i IN 1 .. coalesce(array_length(p_periods, 1), 0) LOOP
        SELECT spent_micros, reserved_micros INTO v_spent, v_reserved
        FROM netrun_llm_budget_spend
        WHERE tenant_id = p_tenant AND period = p_periods[i] AND period_start = p_starts[i];
        IF NOT FOUND THEN
            v_spent := 0;
            v_reserved := 0;
            v_missing := true;
        END IF;
        IF p_limits[i] IS NOT NULL AND v_spent + v_reserved + p_amount > p_limits[i] THEN
            RETURN ARRAY[i, v_spent, v_reserved]::bigint[];
        END IF;
    END LOOP;

    IF v_missing THEN
        INSERT INTO netrun_llm_budget_spend
            (tenant_id, period, period_start, spent_micros, reserved_micros, updated_at)
        SELECT p_tenant, p, s, 0, 0, now() FROM unnest(p_periods, p_starts) AS w(p, s)
        ON CONFLICT (tenant_id, period, period_start) DO NOTHING;
    END IF;
    UPDATE netrun_llm_budget_spend
    SET reserved_micros = reserved_micros + p_amount, updated_at = now()
    WHERE tenant_id = p_tenant
      AND (period, period_start) IN (SELECT * FROM unnest(p_periods, p_starts));
    INSERT INTO netrun_llm_budget_reservation
        (id, tenant_id, amount_micros, windows, expires_at, created_at)
    VALUES (p_id, p_tenant, p_amount, p_windows, now() + make_interval(secs => p_ttl), now());
    RETURN NULL;
END
$fn$;

-- Drops the hold (if it is still there: an expired one was already given back by a sweep)
-- and charges the real cost to the windows.
CREATE OR REPLACE FUNCTION netrun_llm_settle(
    p_tenant varchar, p_id varchar, p_periods varchar[], p_starts date[], p_actual bigint
) RETURNS void
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $fn$
BEGIN
{_DROP_HOLD}
    INSERT INTO netrun_llm_budget_spend
        (tenant_id, period, period_start, spent_micros, reserved_micros, updated_at)
    SELECT p_tenant, p, s, p_actual, 0, now() FROM unnest(p_periods, p_starts) AS w(p, s)
    ON CONFLICT (tenant_id, period, period_start) DO UPDATE SET
        spent_micros = netrun_llm_budget_spend.spent_micros + EXCLUDED.spent_micros,
        updated_at = now();
END
$fn$;

CREATE OR REPLACE FUNCTION netrun_llm_release(p_tenant varchar, p_id varchar) RETURNS void
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $fn$
BEGIN
{_DROP_HOLD}
END
$fn$;
"""  # noqa: S608 - put together from the constants above, never from input
