"""The example project's settings plus what the load run needs of Celery.

Only Celery is changed: acks late (a task killed mid-run is delivered again, not lost), one
message prefetched per process, a queue of the run's own on the shared RabbitMQ, and results
in a Redis database of the run's own so the load script can read each task's outcome.
Everything else (RLS, tenant scope, rate limits, budgets) is the example's, from the
environment.
"""

from __future__ import annotations

import os

from example_project.settings import *  # noqa: F403 - an overlay of the example's settings

CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = os.environ["LOADTEST_QUEUE"]
CELERY_RESULT_BACKEND = os.environ["LOADTEST_RESULT_BACKEND"]
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
