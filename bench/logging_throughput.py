"""Events per second: the full netrun.logging chain against a plain structlog JSON chain.

Both write JSON lines to the same null sink in the same run, with the same event and the same
request context (correlation and tenant ID). The plain chain is the one structlog's docs
recommend for production JSON (contextvars, level, exception formatting, ISO timestamp,
JSONRenderer, a filtering bound logger, cached loggers), given the same keys by hand: the
request context bound through structlog's contextvars, logger name, app and environment bound
on the logger. So both print the same line, and the difference is what netrun's chain costs:
reading netrun.core.context, logger name, app/environment, stack info and redaction.

Goal (issue 20): netrun costs at most 1.2x the plain chain, redaction included. Rounds are
timed in CPU time of the process (``time.process_time``), so that other work on a shared,
loaded machine does not land in one side's round; the best round of each side is compared.

    python bench/logging_throughput.py [--events 50000] [--rounds 9]
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from typing import Any

import structlog

from netrun.core.context import correlation_context, tenant_context
from netrun.logging import configure_logging, get_logger, reset_logging

GOAL = 1.2


class NullSink:
    """A text stream that forgets what it is given."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        return None


def emit(logger: Any, count: int) -> None:
    for i in range(count):
        logger.info(
            "operation_completed",
            operation="cors_validation",
            origin="https://example.com/app",
            result="allowed",
            duration_ms=1.5,
            attempt=i,
        )


def run_plain(count: int) -> float:
    reset_logging()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.format_exc_info,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.WriteLoggerFactory(NullSink()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    # The same keys in the output as netrun's: context and logger, app and environment.
    logger = structlog.get_logger().bind(logger="bench", app="bench", environment="production")
    structlog.contextvars.bind_contextvars(correlation_id="a" * 32, tenant_id="acme")
    try:
        return timed(lambda: emit(logger, count))
    finally:
        structlog.contextvars.clear_contextvars()


def run_netrun(count: int) -> float:
    reset_logging()
    configure_logging(
        app_name="bench",
        environment="production",
        enable_json=True,
        stream=NullSink(),  # type: ignore[arg-type]
    )
    logger = get_logger("bench")
    with correlation_context("a" * 32), tenant_context("acme"):
        return timed(lambda: emit(logger, count))


def timed(work: Callable[[], None]) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()

    run_plain(1000), run_netrun(1000)  # warm up caches and the regex engine
    plain: list[float] = []
    netrun: list[float] = []
    for _ in range(args.rounds):  # interleaved, so drift hits both alike
        plain.append(run_plain(args.events))
        netrun.append(run_netrun(args.events))
    reset_logging()

    best_plain, best_netrun = min(plain), min(netrun)
    ratio = best_netrun / best_plain
    print(f"events per round: {args.events}, rounds: {args.rounds} (best round of each, CPU time)")
    print(
        f"plain structlog JSON : {args.events / best_plain:>10,.0f} events/s "
        f"({best_plain / args.events * 1e6:.2f} us/event)"
    )
    print(
        f"netrun full chain    : {args.events / best_netrun:>10,.0f} events/s "
        f"({best_netrun / args.events * 1e6:.2f} us/event)"
    )
    verdict = "OK" if ratio <= GOAL else "ABOVE GOAL"
    print(f"ratio netrun/plain   : {ratio:.2f}x (goal <= {GOAL}x) {verdict}")


if __name__ == "__main__":
    main()
