"""Scheduling: per-track buffer models and the pure request planner."""

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
