"""Latency control: hold the distance to the live edge near a target.

Pure. Latency is ``now`` on the MPD timeline minus the playback position
(:meth:`nrdp.live.window.LiveWindow.latency`). Beyond ``target + margin`` the player
catches up: a playback-rate nudge proportional to the excess, never beyond
``max_rate_delta`` (±5% keeps audio pitch changes inaudible, as in dash.js's catch-up), or,
right after a stall (the buffer is empty, so a nudge would take minutes), a jump to
``now - target``. Closer than ``target - margin`` it slows down the same way, so a
too-aggressive target does not stall at the edge. Inside half the margin the rate goes
back to 1 (hysteresis: no flapping at the boundary).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from nrdp.errors import InvalidArgument

__all__ = ["LatencyAction", "LatencyConfig", "control_latency", "latency_summary"]


@dataclass(frozen=True, slots=True)
class LatencyConfig:
    """``gain``: rate change per second of excess latency (0.02: 2.5 s late -> +5%)."""

    target_s: float
    margin_s: float = 1.0
    max_rate_delta: float = 0.05
    gain: float = 0.02

    def __post_init__(self) -> None:
        if self.target_s < 0 or self.margin_s <= 0:
            raise InvalidArgument("target must be >= 0 and margin > 0", argument="latency")
        if not 0 <= self.max_rate_delta < 1:
            raise InvalidArgument("must be in [0, 1)", argument="max_rate_delta")


@dataclass(frozen=True, slots=True)
class LatencyAction:
    """The playback rate to apply, and a position to jump to (None: no jump)."""

    rate: float
    jump_to: float | None = None
    reason: str = "on_target"


def control_latency(
    latency: float,
    now_s: float,
    config: LatencyConfig,
    *,
    current_rate: float = 1.0,
    after_stall: bool = False,
    rate_supported: bool = True,
) -> LatencyAction:
    """The action for a measured ``latency`` (``now_s``: now on the MPD timeline)."""
    excess = latency - config.target_s
    if after_stall and excess > config.margin_s:
        return LatencyAction(1.0, now_s - config.target_s, "jump_after_stall")
    if not rate_supported:
        return LatencyAction(1.0, None, "rate_unsupported")
    nudging = current_rate != 1.0
    threshold = config.margin_s / 2 if nudging else config.margin_s
    if abs(excess) <= threshold:
        return LatencyAction(1.0)
    delta = min(config.max_rate_delta, abs(excess) * config.gain)
    if excess > 0:
        return LatencyAction(1.0 + delta, None, "catch_up")
    return LatencyAction(1.0 - delta, None, "slow_down")


def latency_summary(samples: Sequence[float]) -> dict[str, float | None]:
    """``live_latency_s`` for the report: median and p95 of the sampled latencies."""
    if not samples:
        return {"median": None, "p95": None}
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(0.95 * (len(ordered) - 1))))
    return {"median": statistics.median(ordered), "p95": ordered[rank]}
