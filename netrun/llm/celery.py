"""Celery tasks of ``netrun.llm``: budget alert webhooks, delivered with retries.

A claimed :class:`~netrun.llm.models.BudgetAlert` with ``NETRUN_LLM_BUDGET_WEBHOOKS`` set is
enqueued once its row commits (:mod:`netrun.llm.policy.alerts_django`). The task POSTs the
alert as JSON to each URL with::

    X-Netrun-Signature: sha256=<hex HMAC-SHA256 of the body, keyed by NETRUN_LLM_BUDGET_WEBHOOK_SECRET>
    X-Netrun-Timestamp: <seconds since the epoch when this request was sent>
    Idempotency-Key: <the alert's id, the same on every retry>

A connection error, a timeout, a 5xx or a 429 is retried (at most :data:`MAX_RETRIES` times,
exponential backoff with full jitter, only to the URLs that failed); any other 4xx is final.
The row records the attempts, the last error and the outcome (``delivered`` or ``failed``).
A database error while the task reads or records the row (a restart, a failover, a dropped
connection) is retried on the same schedule: a URL that already answered may then receive the
alert again, with the same ``Idempotency-Key``. A broker that is down when the alert fires
leaves the row ``pending`` with no attempt, and a delivery that ran out of retries on database
errors leaves it ``pending`` too: :func:`redeliver_pending_budget_alerts` (a periodic task)
enqueues such rows again.

Receivers verify the signature over the raw body::

    expected = "sha256=" + hmac.new(secret, request.body, hashlib.sha256).hexdigest()
    hmac.compare_digest(expected, request.headers["X-Netrun-Signature"])
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from celery import shared_task
from django.db import DatabaseError
from django.db.models import F, Q
from django.utils import timezone

from netrun.core.context import tenant_context
from netrun.llm.conf import conf
from netrun.llm.models import BudgetAlert
from netrun.logging import get_logger

__all__ = [
    "MAX_RETRIES",
    "deliver_budget_alert",
    "enqueue_delivery",
    "redeliver_pending_budget_alerts",
    "sign",
    "webhook_body",
]

logger = get_logger(__name__)

#: Retries of a delivery after its first attempt, and the backoff's base and cap (seconds).
MAX_RETRIES = 8
BACKOFF = 2.0
BACKOFF_MAX = 600.0
#: Seconds one webhook request may take.
TIMEOUT = 10.0


_F = TypeVar("_F", bound=Callable[..., Any])


def _task(**options: Any) -> Callable[[_F], _F]:
    """``shared_task`` typed (Celery ships no types): the task keeps its signature."""
    return cast("Callable[[_F], _F]", shared_task(**options))


def webhook_body(alert: BudgetAlert) -> bytes:
    """The JSON POSTed for ``alert`` (amounts as decimal strings, exact)."""
    payload = {
        "type": "llm.budget_threshold_crossed",
        "id": str(alert.pk),
        "tenant_id": alert.tenant_id,
        "scope": alert.scope,
        "period": alert.period,
        "period_start": alert.period_start.isoformat(),
        "window": alert.window_key,
        "threshold": alert.threshold,
        "spent_usd": str(alert.spent_usd),
        "limit_usd": str(alert.limit_usd),
        "fired_at": alert.fired_at.isoformat(),
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def sign(body: bytes, secret: str) -> str:
    """``sha256=<hex HMAC-SHA256 of body>``: the ``X-Netrun-Signature`` header."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _secret() -> str:
    secret = conf.budget_webhook_secret
    return "" if secret is None else secret.get_secret_value()


def _host(url: str) -> str:
    # Webhook URLs often carry a token in their path (Slack, Teams): log the host only.
    return urlsplit(url).hostname or "?"


def _post(url: str, body: bytes, alert_id: str) -> int:
    """The response's status; 0 for a connection error or a timeout."""
    request = urllib.request.Request(  # noqa: S310 - the project's own configured URLs
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "netrun-budget-alerts",
            "X-Netrun-Signature": sign(body, _secret()),
            "X-Netrun-Timestamp": str(int(time.time())),
            "Idempotency-Key": alert_id,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (OSError, ValueError):
        return 0


def _retryable(status: int) -> bool:
    return status == 0 or status == 429 or status >= 500


def _backoff(retries: int) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**retries)]."""
    return random.uniform(0, min(BACKOFF_MAX, BACKOFF * 2**retries))  # noqa: S311 - jitter


@_task(bind=True, name="netrun.llm.deliver_budget_alert", max_retries=MAX_RETRIES)
def deliver_budget_alert(
    self: Any,
    alert_id: str,
    tenant_id: str,
    using: str = "default",
    urls: list[str] | None = None,
) -> str:
    """POST the alert to ``urls`` (default: every configured webhook); return the outcome."""
    try:
        return _deliver(self, alert_id, tenant_id, using, urls)
    except DatabaseError as error:
        if self.request.retries >= self.max_retries:
            raise  # the row stays pending: redeliver_pending_budget_alerts picks it up
        countdown = _backoff(self.request.retries)
        first_line = (str(error).splitlines() or [""])[0][:200]
        logger.warning(
            "llm_budget_webhook_database_retry",
            alert_id=alert_id,
            retries=self.request.retries,
            countdown=round(countdown, 3),
            error=f"{type(error).__name__}: {first_line}",
        )
        raise self.retry(
            kwargs={"alert_id": alert_id, "tenant_id": tenant_id, "using": using, "urls": urls},
            countdown=countdown,
        ) from error


def _deliver(task: Any, alert_id: str, tenant_id: str, using: str, urls: list[str] | None) -> str:
    with tenant_context(tenant_id):  # row-level security reads the tenant from the context
        alerts = BudgetAlert.objects.using(using)
        alert = alerts.filter(pk=alert_id, tenant_id=tenant_id).first()
        if alert is None or alert.delivery == BudgetAlert.DELIVERED:
            return "gone" if alert is None else "delivered"
        body = webhook_body(alert)
        failed: list[str] = []
        errors: list[str] = []
        for url in urls if urls is not None else _configured_urls():
            status = _post(url, body, str(alert.pk))
            alerts.filter(pk=alert.pk).update(attempts=F("attempts") + 1)
            if 200 <= status < 300:
                continue
            errors.append(f"{_host(url)}: {status or 'connection failed'}")
            if _retryable(status):
                failed.append(url)
            else:
                logger.error(
                    "llm_budget_webhook_refused", alert_id=alert_id, host=_host(url), status=status
                )
        error = "; ".join(errors)[:300]
        if failed and task.request.retries < task.max_retries:
            alerts.filter(pk=alert.pk).update(last_error=error)
            countdown = _backoff(task.request.retries)
            logger.warning(
                "llm_budget_webhook_retry",
                alert_id=alert_id,
                retries=task.request.retries,
                countdown=round(countdown, 3),
                error=error,
            )
            raise task.retry(
                kwargs={
                    "alert_id": alert_id,
                    "tenant_id": tenant_id,
                    "using": using,
                    "urls": failed,
                },
                countdown=countdown,
            )
        outcome = BudgetAlert.FAILED if errors else BudgetAlert.DELIVERED
        alerts.filter(pk=alert.pk).update(
            delivery=outcome,
            last_error=error,
            delivered_at=None if errors else timezone.now(),
        )
        log = logger.error if errors else logger.info
        log("llm_budget_webhook_" + str(outcome), alert_id=alert_id, error=error)
        return str(outcome)


def _configured_urls() -> list[str]:
    return [url for url in conf.budget_webhooks if isinstance(url, str) and url]


def enqueue_delivery(alert_id: str, tenant_id: str, *, using: str = "default") -> bool:
    """Enqueue the webhooks of an alert; ``False`` (logged) when the broker cannot take it:
    the row stays ``pending`` for :func:`redeliver_pending_budget_alerts`."""
    try:
        deliver_budget_alert.apply_async(  # type: ignore[attr-defined]
            kwargs={"alert_id": alert_id, "tenant_id": tenant_id, "using": using}
        )
    except Exception as error:
        logger.error(
            "llm_budget_alert_enqueue_failed",
            alert_id=alert_id,
            tenant_id=tenant_id,
            error=f"{type(error).__name__}: {error}",
        )
        return False
    return True


#: Seconds after which a pending row that was attempted counts as stranded: longer than the
#: whole retry schedule (at most about 8.5 minutes of backoff with the defaults).
STRANDED_AFTER = 3600.0


@_task(name="netrun.llm.redeliver_pending_budget_alerts")
def redeliver_pending_budget_alerts(
    older_than: float = 300, using: str = "default", *, attempted_older_than: float = STRANDED_AFTER
) -> int:
    """Enqueue again the alerts whose webhooks never left (the broker was down: pending with
    no attempt, fired more than ``older_than`` seconds ago) or whose delivery stopped half-way
    (the worker died, or its retries ran out on database errors: pending with attempts, fired
    more than ``attempted_older_than`` seconds ago). Run it periodically (Celery beat).
    Returns how many were enqueued.

    Reads every tenant's alerts: under row-level security, run it with a role that may
    (``netrun.rbac.db.cross_tenant``)."""
    now = timezone.now()
    stranded = list(
        BudgetAlert.objects.using(using)
        .filter(delivery=BudgetAlert.PENDING)
        .filter(
            Q(attempts=0, fired_at__lte=now - dt.timedelta(seconds=older_than))
            | Q(attempts__gt=0, fired_at__lte=now - dt.timedelta(seconds=attempted_older_than))
        )
        .values_list("pk", "tenant_id")
    )
    return sum(enqueue_delivery(str(pk), tenant, using=using) for pk, tenant in stranded)
