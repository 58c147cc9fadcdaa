"""A guard for Celery tasks that call rate-limited services.

Celery's own ``rate_limit`` task option is per worker process: ten workers with
``rate_limit="60/m"`` call the service 600 times a minute. The guard takes the limit from a
shared :class:`RateLimiter` (Redis for many workers) and, when the service's budget is used
up, retries the task once the window has room instead of calling the service::

    from netrun.ratelimit import RateLimiter, RedisBackend
    from netrun.ratelimit.celery import rate_limited

    openai_rpm = RateLimiter("500/m", RedisBackend(REDIS_URL), prefix="openai:")

    @app.task(bind=True, max_retries=None)
    @rate_limited(openai_rpm, key="org-key-1")
    def summarise(self, document_id): ...

``key`` is a string or a function of the task's arguments; ``cost`` is an int or such a
function (tokens for a TPM limit). A task that is not bound (no ``self``) raises
:class:`RateLimited` instead of retrying, as does ``retry=False``.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from typing import Any, TypeVar, cast

from netrun.logging import get_logger
from netrun.ratelimit._limiter import RateLimiter
from netrun.ratelimit.exceptions import RateLimited

__all__ = ["rate_limited"]

logger = get_logger(__name__)

_Task = TypeVar("_Task", bound=Callable[..., Any])


def _is_task(candidate: Any) -> bool:
    return callable(getattr(candidate, "retry", None)) and hasattr(candidate, "request")


def rate_limited(
    limiter: RateLimiter,
    key: str | Callable[..., str],
    *,
    cost: int | Callable[..., int] = 1,
    retry: bool = True,
    jitter: float = 1.0,
) -> Callable[[_Task], _Task]:
    """Run the task body only when ``limiter`` admits ``key``; otherwise retry it later.

    The countdown is the limiter's ``retry_after`` plus up to ``jitter`` random seconds, so
    tasks refused together do not all come back in the same instant.
    """

    def decorator(func: _Task) -> _Task:
        @functools.wraps(func)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            task = args[0] if args and _is_task(args[0]) else None
            task_args = args[1:] if task is not None else args
            hit_key = key(*task_args, **kwargs) if callable(key) else key
            hit_cost = cost(*task_args, **kwargs) if callable(cost) else cost
            decision = limiter.hit(hit_key, hit_cost)
            if decision.allowed:
                return func(*args, **kwargs)
            logger.info(
                "ratelimit_task_deferred",
                operation="ratelimit_task",
                result="retry" if task is not None and retry else "refused",
                key=hit_key,
                retry_after=decision.retry_after,
            )
            error = RateLimited(decision=decision)
            if task is None or not retry:
                raise error
            # Jitter only spreads the retries; it is not a secret.
            countdown = decision.retry_after + random.uniform(0, jitter)  # noqa: S311
            raise task.retry(exc=error, countdown=countdown)

        return cast(_Task, guarded)

    return decorator
