"""Live (dynamic) DASH: pure decisions (window, availability, refresh, latency, clock) and
two small I/O pieces (the MPD refresher task, the UTCTiming client). See docs/live.md."""

from nrdp.live.availability import (
    Failover,
    Fetch,
    NotFoundPolicy,
    RetryAt,
    Skip,
    WaitUntil,
    on_not_found,
    plan_request,
)
from nrdp.live.errors import UtcTimingFailed
from nrdp.live.latency import LatencyAction, LatencyConfig, control_latency, latency_summary
from nrdp.live.refresh import (
    RefreshOutcome,
    event_end,
    merge_refresh,
    next_refresh_at,
    reached_end,
)
from nrdp.live.timeline import LiveCounters, LiveTimeline
from nrdp.live.utc import (
    ClockOffset,
    ClockSync,
    UtcScheme,
    UtcSource,
    estimate_offset,
    parse_server_time,
    timing_sources,
    utc_now,
)
from nrdp.live.window import LiveWindow, clamp_seek, live_window, start_position, target_latency

__all__ = [
    "ClockOffset",
    "ClockSync",
    "Failover",
    "Fetch",
    "LatencyAction",
    "LatencyConfig",
    "LiveCounters",
    "LiveTimeline",
    "LiveWindow",
    "NotFoundPolicy",
    "RefreshOutcome",
    "RetryAt",
    "Skip",
    "UtcScheme",
    "UtcSource",
    "UtcTimingFailed",
    "WaitUntil",
    "clamp_seek",
    "control_latency",
    "estimate_offset",
    "event_end",
    "latency_summary",
    "live_window",
    "merge_refresh",
    "next_refresh_at",
    "on_not_found",
    "parse_server_time",
    "plan_request",
    "reached_end",
    "start_position",
    "target_latency",
    "timing_sources",
    "utc_now",
]
