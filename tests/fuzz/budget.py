"""Run one fuzz input under a time and memory budget: a slow or greedy input is a finding,
not only an exception. CPU time of the calling thread (a busy machine does not slow it) and
the peak of Python allocations traced by :mod:`tracemalloc` during the call."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
import tracemalloc
from collections.abc import Iterator

from tests.fuzz.targets import Target

TIME_BUDGET_S = 1.0
"""CPU seconds one input may take."""
MEMORY_BUDGET = 256 << 20
"""Bytes of Python allocations one input may hold at its peak."""
HANG_GUARD_S = 10.0
"""CPU seconds after which a runaway input is interrupted (and reported over budget)."""


class OverBudget(AssertionError):
    """An input took more CPU time or memory than its budget."""


@contextlib.contextmanager
def _hang_guard(seconds: float) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise OverBudget(f"still running after {seconds:.0f} s of CPU")

    previous = signal.signal(signal.SIGVTALRM, interrupt)
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)


def run_one(target: Target, data: bytes) -> None:
    """Feed ``data`` to ``target``; raise :class:`OverBudget` or any unexpected exception."""
    tracing = tracemalloc.is_tracing()  # only this call is traced: tracing the generator
    if not tracing:  # of inputs too would cost more than the targets
        tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    cpu = time.thread_time()
    try:
        with _hang_guard(HANG_GUARD_S):
            target.run(data)
    except target.expected:
        pass
    finally:
        spent = time.thread_time() - cpu
        peak = tracemalloc.get_traced_memory()[1] - base
        if not tracing:
            tracemalloc.stop()
    if spent > TIME_BUDGET_S:
        raise OverBudget(f"{target.name}: {spent:.2f} s of CPU for {len(data)} bytes")
    if peak > MEMORY_BUDGET:
        raise OverBudget(f"{target.name}: {peak >> 20} MiB for {len(data)} bytes")


def warm_up(target: Target, seeds: list[bytes]) -> None:
    """Run the first seed outside the budget: imports and cached fixtures (a PyAV clip,
    encrypted inits) are paid once, not by the first input."""
    with contextlib.suppress(*target.expected):
        target.run(seeds[0])
