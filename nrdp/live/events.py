"""Live events for apps, stats and telemetry (frozen, self-checking like ``nrdp.events``).

Defined here, next to the decisions that produce them, so the live work does not edit the
engine's event module; the engine emits them on the same bus.
"""

from __future__ import annotations

from dataclasses import dataclass

from nrdp.events import Event, _non_negative

__all__ = [
    "ClockSynced",
    "LiveEdgeJumped",
    "LiveEnded",
    "LiveLatency",
    "ManifestRefreshed",
    "SegmentSkipped",
]


@dataclass(frozen=True, kw_only=True)
class LiveLatency(Event):
    """Distance to the live edge (now on the MPD timeline minus the position), sampled."""

    latency_s: float
    target_s: float
    rate: float = 1.0


@dataclass(frozen=True, kw_only=True)
class LiveEdgeJumped(Event):
    """The player jumped towards the edge (after a stall, latency beyond target + margin)."""

    from_position: float
    to_position: float
    latency_s: float


@dataclass(frozen=True, kw_only=True)
class SegmentSkipped(Event):
    """A live segment was given up: it left the time-shift window or stayed missing."""

    track: str
    number: int
    start: float
    duration: float
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _non_negative(self, "duration")


@dataclass(frozen=True, kw_only=True)
class ManifestRefreshed(Event):
    """An MPD update was merged (``refreshes`` counts them for ``mpd_refreshes``)."""

    refreshes: int
    new_segments: int
    new_periods: tuple[str | None, ...] = ()
    ended: bool = False


@dataclass(frozen=True, kw_only=True)
class ClockSynced(Event):
    """A UTCTiming sample was taken; ``drifted``: it moved the estimate (a resync)."""

    offset_s: float
    uncertainty_s: float
    scheme: str
    drifted: bool = False


@dataclass(frozen=True, kw_only=True)
class LiveEnded(Event):
    """The event ended (the MPD turned static or got mediaPresentationDuration)."""

    end: float
