"""Pure shaping arithmetic: the trace's rate at a time, and the tbf queue/burst sizes."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["MIN_KBPS", "burst_bytes", "queue_limit_bytes", "rate_at"]

MIN_KBPS = 8.0
"""tbf needs a positive rate; a trace's zero (an outage) becomes this trickle."""
QUEUE_MS = 200.0
"""The bottleneck queue holds at most this much time at the current rate (drop-tail)..."""
MIN_QUEUE_BYTES = 32 * 1024
"""... and never less than this (about 21 full packets), so slow rates still fill a window."""


def rate_at(points: Sequence[Sequence[float]], t_s: float) -> float:
    """The rate (kbit/s) a ``[[time_s, kbps], ...]`` schedule holds at ``t_s``: a point
    holds from its time until the next; past the end the schedule repeats from 0."""
    if not points:
        raise ValueError("an empty schedule")
    period = points[-1][0] + max(1.0, points[-1][0] - points[-2][0] if len(points) > 1 else 1.0)
    t = t_s % period
    kbps = points[0][1]
    for start, value in points:
        if start > t:
            break
        kbps = value
    return max(MIN_KBPS, float(kbps))


def queue_limit_bytes(kbps: float) -> int:
    """tbf ``limit``: QUEUE_MS at the rate, at least MIN_QUEUE_BYTES."""
    return max(MIN_QUEUE_BYTES, int(kbps * 1000 / 8 * QUEUE_MS / 1000))


def burst_bytes(kbps: float) -> int:
    """tbf ``burst``: 10 ms at the rate, at least 4 KB (above one MTU at any timer HZ)."""
    return max(4096, int(kbps * 1000 / 8 * 0.010))
