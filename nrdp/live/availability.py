"""Per-segment live decisions: fetch now, wait for availability, retry a 404, or skip.

Pure: ``now`` is the server-synchronised time. The availability window itself
(availabilityStartTime + segment end - availabilityTimeOffset, closing timeShiftBufferDepth
later) is :func:`manifest.timing.segment_availability`.

Why a 404 near the edge is not a failover: every OCA publishes a live segment at the same
instant, so a segment that is not there yet on one OCA is not on the others either; the
origin is late (or the device clock is ahead). Retrying the same URL after the advertised
availability (plus a little) costs nothing; failing over would mark a healthy OCA bad.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from manifest.isotime import seconds_between
from manifest.model import Representation, SegmentRef
from manifest.timing import segment_availability

__all__ = [
    "Failover",
    "Fetch",
    "NotFoundPolicy",
    "RetryAt",
    "Skip",
    "WaitUntil",
    "on_not_found",
    "plan_request",
]

SkipReason = Literal["out_of_window", "missing"]


@dataclass(frozen=True, slots=True)
class Fetch:
    """Request the segment now."""

    ref: SegmentRef


@dataclass(frozen=True, slots=True)
class WaitUntil:
    """Not available yet: request it at ``at`` (never earlier)."""

    ref: SegmentRef
    at: datetime


@dataclass(frozen=True, slots=True)
class RetryAt:
    """A 404 near the edge: the same URL again at ``at`` (attempt ``attempt``)."""

    ref: SegmentRef
    at: datetime
    attempt: int


@dataclass(frozen=True, slots=True)
class Failover:
    """A 404 well after availability: this OCA lacks a segment the others may have."""

    ref: SegmentRef


@dataclass(frozen=True, slots=True)
class Skip:
    """Give up on this segment and play on from the next (the engine emits an event)."""

    ref: SegmentRef
    reason: SkipReason


Decision = Fetch | WaitUntil | RetryAt | Failover | Skip


@dataclass(frozen=True, slots=True)
class NotFoundPolicy:
    """``near_edge_s``: a 404 this soon after availability start is "not there yet"
    (default: two segment durations when None); only the first 404 is judged by it, the
    retries it starts run to the end. ``retry_delay_s``: first pause, doubled per retry
    (0.5, 1, 2, 4 s: a segment up to 7.5 s late is still fetched). ``max_retries``: after
    that many, the segment is treated as missing and skipped."""

    near_edge_s: float | None = None
    retry_delay_s: float = 0.5
    max_retries: int = 4


def plan_request(rep: Representation, ref: SegmentRef, now: datetime) -> Decision:
    """Fetch, wait for the availability start, or skip a segment that left the window."""
    window = segment_availability(rep, ref)
    if window.start is not None and now < window.start:
        return WaitUntil(ref, window.start)
    if window.end is not None and now >= window.end:
        return Skip(ref, "out_of_window")
    return Fetch(ref)


def on_not_found(
    rep: Representation,
    ref: SegmentRef,
    now: datetime,
    attempt: int,
    policy: NotFoundPolicy = NotFoundPolicy(),
) -> Decision:
    """What to do after the ``attempt``-th 404 (1-based) for ``ref`` at ``now``."""
    window = segment_availability(rep, ref)
    if window.end is not None and now >= window.end:
        return Skip(ref, "out_of_window")
    if window.start is None:
        return Failover(ref)
    near = policy.near_edge_s if policy.near_edge_s is not None else 2 * ref.duration
    since = seconds_between(window.start, now)
    if attempt <= 1 and since > near:
        return Failover(ref)
    if attempt > policy.max_retries:
        return Skip(ref, "missing")
    delay = policy.retry_delay_s * 2 ** (max(attempt, 1) - 1)
    at = max(now, window.start) + timedelta(seconds=delay)
    if window.end is not None and at >= window.end:
        return Skip(ref, "out_of_window")
    return RetryAt(ref, at, attempt)
