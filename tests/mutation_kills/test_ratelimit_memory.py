"""MemoryBackend: the mutants of ``make mutation`` the rate-limit tests let live.

Each test names the mutant it kills (see docs/development.md, "Mutation testing").
"""

from __future__ import annotations

from netrun.ratelimit.backends import MemoryBackend


class Clock:
    """A clock far from zero, like ``time.monotonic`` on a running host."""

    def __init__(self, now: float = 100_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_retry_after_waits_for_as_many_entries_as_the_cost_needs() -> None:
    # Kills `freed = 0` -> `freed = 1` in _retry_after: it would answer when the first entry
    # leaves, though a cost of 2 needs two entries gone.
    clock = Clock()
    backend = MemoryBackend(clock=clock)
    for step in (0, 10, 15):
        clock.now = 100_000.0 + step
        assert backend.hit("k", limit=3, period=60, cost=1).allowed
    clock.now = 100_020.0
    refused = backend.hit("k", limit=3, period=60, cost=2)
    assert not refused.allowed
    assert refused.retry_after == 50.0  # the second entry (t+10) leaves at t+70; now is t+20


def test_the_sweep_drops_idle_windows_and_never_an_active_one() -> None:
    # Kills `window.entries[-1][0]` -> `[-1][1]` in _sweep (the cost compared with a time):
    # on a clock far from zero every window looks idle and is dropped with its count.
    clock = Clock()
    backend = MemoryBackend(clock=clock, sweep_every=1)  # sweep before every hit
    decisions = [backend.hit("k", limit=2, period=60, cost=1) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]
    backend.hit("other", limit=2, period=60, cost=1)
    assert len(backend) == 2
    clock.now += 61  # both idle: the next hit's sweep drops "k" and "other"
    backend.hit("third", limit=2, period=60, cost=1)
    assert len(backend) == 1
