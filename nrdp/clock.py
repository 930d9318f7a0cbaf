"""Where the SDK's I/O shell gets the time *and waits*; the pure core takes ``now`` as an
argument.

ExoPlayer ``Clock.java`` / trio ``MockClock`` style: one narrow protocol with ``now()`` and
``sleep()``, so that tests inject :class:`nrdp.testing.VirtualClock` and nothing in the
engine ever reads ``time.monotonic()`` or waits on wall time behind the caller's back.

``busy()`` marks work that is waiting on something outside the event loop's view of time
(a decoder thread, a socket): a virtual clock does not jump while any is outstanding, the
real clock ignores it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "MonotonicClock", "busy", "wait_event"]


@runtime_checkable
class Clock(Protocol):
    """Monotonic seconds; only differences are meaningful, never wall-clock dates."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class MonotonicClock:
    """The real clock: :func:`time.monotonic` and :func:`asyncio.sleep`."""

    __slots__ = ()

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def __repr__(self) -> str:
        return "MonotonicClock()"


@contextlib.contextmanager
def busy(clock: Clock) -> Iterator[None]:
    """Mark the current task as waiting on outside work (thread job, I/O) while inside:
    a virtual clock does not jump meanwhile. A no-op for clocks without ``busy``."""
    mark = getattr(clock, "busy", None)
    if mark is None:
        yield
        return
    with mark():
        yield


async def wait_event(clock: Clock, event: asyncio.Event, timeout: float) -> bool:
    """Wait until ``event`` is set or ``timeout`` seconds passed on ``clock``; ``True`` if
    the event was set. The timeout is on the clock, never on wall time."""
    if event.is_set():
        return True
    if type(clock) is MonotonicClock:  # the real clock: the loop's own timer, no extra task
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, timeout)):
                await event.wait()
        return event.is_set()
    waiter = asyncio.ensure_future(event.wait())
    sleeper = asyncio.ensure_future(clock.sleep(timeout))
    try:
        await asyncio.wait((waiter, sleeper), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for fut in (waiter, sleeper):
            if not fut.done():
                fut.cancel()
        await asyncio.gather(waiter, sleeper, return_exceptions=True)
    return event.is_set()
