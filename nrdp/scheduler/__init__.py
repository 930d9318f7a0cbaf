"""Scheduling: per-track buffer models and the pure request planner (track selection is
:mod:`.tracks`); the async driver is :class:`nrdp.scheduler.loop.PlaybackEngine`."""

from nrdp.scheduler.buffer import TimeRange, TrackBuffer, TrackKind
from nrdp.scheduler.planner import Plan, SegmentIndex, SegmentRef, SegmentRequest, TrackCursor, plan

__all__ = [
    "Plan",
    "SegmentIndex",
    "SegmentRef",
    "SegmentRequest",
    "TimeRange",
    "TrackBuffer",
    "TrackCursor",
    "TrackKind",
    "plan",
]
