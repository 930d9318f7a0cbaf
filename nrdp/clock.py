"""Where the SDK's I/O shell gets the time; the pure core takes ``now`` as an argument.

ExoPlayer ``Clock.java`` style: one narrow protocol so that tests inject
:class:`nrdp.testing.FakeClock` and nothing ever calls ``time.monotonic()`` behind
the caller's back.
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "MonotonicClock"]


@runtime_checkable
class Clock(Protocol):
    """Monotonic seconds; only differences are meaningful, never wall-clock dates."""

    def now(self) -> float: ...


class MonotonicClock:
    """The real clock: :func:`time.monotonic`."""

    __slots__ = ()

    def now(self) -> float:
        return time.monotonic()

    def __repr__(self) -> str:
        return "MonotonicClock()"
