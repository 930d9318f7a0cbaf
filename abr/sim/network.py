"""Trace-driven link: how long a download takes, by integrating the trace's throughput.

Pensieve's ``fixed_env.py`` semantics: the throughput of sample i holds on
``(t[i-1], t[i]]``, only ``payload_fraction`` of it carries payload, and the trace loops
(back to sample 1 at time ``t[0]``). The link keeps its own trace clock; the simulator
decides whether request latency advances it.
"""

from __future__ import annotations

import math

from abr.sim.traces import Trace

__all__ = ["TraceLink"]


class TraceLink:
    """Mutable position in a looping trace. ``copy()`` is cheap (used to look ahead)."""

    __slots__ = (
        "_bps",
        "_n",
        "_period_bytes",
        "_period_s",
        "_times",
        "payload_fraction",
        "ptr",
        "t",
    )

    def __init__(self, trace: Trace, payload_fraction: float = 0.95) -> None:
        self._times = trace.times_s
        # bytes per second of payload on each interval
        self._bps = tuple(k * 1000.0 / 8.0 * payload_fraction for k in trace.kbps)
        self._n = len(trace.times_s)
        self.payload_fraction = payload_fraction
        self._period_s = trace.times_s[-1] - trace.times_s[0]
        self._period_bytes = sum(
            self._bps[i] * (self._times[i] - self._times[i - 1]) for i in range(1, self._n)
        )
        self.ptr = 1
        self.t = trace.times_s[0]

    def copy(self) -> TraceLink:
        other = TraceLink.__new__(TraceLink)
        other._times, other._bps, other._n = self._times, self._bps, self._n
        other._period_s, other._period_bytes = self._period_s, self._period_bytes
        other.payload_fraction = self.payload_fraction
        other.ptr, other.t = self.ptr, self.t
        return other

    def rate_bytes_s(self) -> float:
        """Payload bytes per second at the current position."""
        return self._bps[self.ptr]

    def _next_interval(self) -> None:
        self.t = self._times[self.ptr]
        self.ptr += 1
        if self.ptr >= self._n:
            self.ptr = 1
            self.t = self._times[0]

    def download(self, size_bytes: float) -> float:
        """Advance the trace clock until ``size_bytes`` arrived; return the seconds taken."""
        times, bps = self._times, self._bps
        sent = 0.0
        elapsed = 0.0
        # whole loops of the trace deliver the same bytes from any phase: skip them at once
        if self._period_bytes > 0 and size_bytes > 2 * self._period_bytes:
            loops = math.floor(size_bytes / self._period_bytes) - 1
            sent = loops * self._period_bytes
            elapsed = loops * self._period_s
        while True:
            rate = bps[self.ptr]
            span = times[self.ptr] - self.t
            chunk = rate * span
            if sent + chunk > size_bytes and rate > 0:
                frac = (size_bytes - sent) / rate
                elapsed += frac
                self.t += frac
                return elapsed
            sent += chunk
            elapsed += span
            self._next_interval()

    def advance(self, seconds: float) -> float:
        """Let ``seconds`` of trace time pass; return the payload bytes deliverable meanwhile."""
        times, bps = self._times, self._bps
        got = 0.0
        left = seconds
        if self._period_s > 0 and seconds > 2 * self._period_s:
            loops = math.floor(seconds / self._period_s) - 1
            got = loops * self._period_bytes
            left = seconds - loops * self._period_s
        while left > 0:
            span = times[self.ptr] - self.t
            if span > left:
                got += bps[self.ptr] * left
                self.t += left
                return got
            got += bps[self.ptr] * span
            left -= span
            self._next_interval()
        return got
