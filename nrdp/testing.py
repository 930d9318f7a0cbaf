"""Test tools shipped with the SDK (like ``trio.testing``): deterministic time for users' tests.

The in-memory transport for the downloader joins this module when the I/O shell exists.
"""

from __future__ import annotations

import math

from nrdp.errors import InvalidArgument

__all__ = ["FakeClock"]


class FakeClock:
    """A :class:`nrdp.clock.Clock` that only moves when told to (ExoPlayer ``FakeClock``)."""

    __slots__ = ("_now",)

    def __init__(self, start: float = 0.0) -> None:
        if not math.isfinite(start):
            raise InvalidArgument("must be finite", argument="start")
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` (>= 0) and return the new time."""
        if not math.isfinite(seconds) or seconds < 0:
            raise InvalidArgument(
                "a clock only moves forward by a finite amount", argument="seconds"
            )
        self._now += seconds
        return self._now

    def advance_to(self, when: float) -> float:
        """Jump to ``when`` if it is later than now (a no-op for the past)."""
        if not math.isfinite(when):
            raise InvalidArgument("must be finite", argument="when")
        self._now = max(self._now, float(when))
        return self._now

    def __repr__(self) -> str:
        return f"FakeClock(now={self._now!r})"
