"""The engine's decisions as pure functions: values in, values out, no loop, no clock.

The I/O tasks (:mod:`.fetcher`, :mod:`.presenter`, :mod:`.monitor`) gather the values and
act on the answers; every rule about *what* to do lives here and is unit-tested on its own:

- rung rules: the viewer's cap and pin, and the rungs excluded after a too-slow download;
- readiness: is there enough buffered to start or resume playing;
- stall: which tracks ran dry while playing;
- late frames and frames that must not be shown (before a seek target, or already shown
  from the track used before a switch);
- the reason of a quality change;
- how the buffer is being spent while a request is made (its deadline follows from it,
  :func:`nrdp.delivery.deadlines.media_deadline`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from abr.types import clamp_rung
from nrdp.delivery.deadlines import Drain
from nrdp.delivery.policy import Fallback, FallbackType
from nrdp.errors import ThroughputTooLow
from nrdp.events import SwitchReason
from nrdp.state import PlayerState

__all__ = [
    "TrackLevel",
    "allowed_rung",
    "apply_rung_rules",
    "buffer_drain",
    "dry_tracks",
    "dry_within",
    "is_late",
    "live_exclusions",
    "readiness_need",
    "ready",
    "segments_left",
    "skip_frame",
    "switch_reason",
    "track_fallback",
]

DRY_S = 0.02
"""A playing track with less than this buffered ahead has run dry (a stall)."""
TAIL_S = 0.1
"""Buffered to within this of the end counts as buffered to the end."""


def allowed_rung(count: int, cap: int | None) -> int:
    """The highest rung the viewer allows among ``count`` rungs (``cap`` clamped)."""
    return count - 1 if cap is None else clamp_rung(cap, range(count))


def live_exclusions(excluded: Mapping[int, float], now: float) -> dict[int, float]:
    """The exclusions still in force at ``now`` (rung -> until)."""
    return {rung: until for rung, until in excluded.items() if until > now}


def apply_rung_rules(
    wanted: int,
    count: int,
    *,
    cap: int | None,
    pin: int | None,
    excluded: Mapping[int, float],
) -> int:
    """The rung to fetch: the pin if any (else ``wanted``), clamped to the ladder, capped,
    then stepped down past excluded rungs (rung 0 is never excluded away)."""
    rung = clamp_rung(pin if pin is not None else wanted, range(count))
    rung = min(rung, allowed_rung(count, cap))
    while rung > 0 and rung in excluded:
        rung -= 1
    return rung


def track_fallback(err: BaseException, default_exclusion: float) -> float | None:
    """Seconds to exclude the rung for when the delivery policy decided "drop to a lower
    track" for ``err`` (its decision travels on the error as ``err.decision``; a
    :class:`~nrdp.errors.ThroughputTooLow` without one is that decision), else ``None``:
    the error is not the fetcher's to handle."""
    decision = getattr(err, "decision", None)
    if isinstance(decision, Fallback):
        return decision.exclusion if decision.kind is FallbackType.TRACK else None
    if decision is None and isinstance(err, ThroughputTooLow):
        return default_exclusion
    return None


def segments_left(count: int | None, number: int) -> int | None:
    """Segments from ``number`` (1-based) to the end, ``None`` for an open index."""
    return None if count is None else count - number + 1


def switch_reason(old_rung: int | None, pinned: bool) -> SwitchReason:
    if old_rung is None:
        return SwitchReason.INITIAL
    return SwitchReason.MANUAL if pinned else SwitchReason.ABR


_WAITING_STATES = frozenset({PlayerState.LOADING, PlayerState.BUFFERING, PlayerState.SEEKING})


def buffer_drain(state: PlayerState, *, realtime: bool, holding: bool) -> Drain:
    """How the buffer is spent now: running dry in real time, the viewer waiting for
    media (start, stall, seek, a Period boundary's hold), or neither (paused, or playing
    as fast as the media arrives, where nothing can run dry)."""
    if not realtime:
        return Drain.IDLE
    if holding or state in _WAITING_STATES:
        return Drain.WAITING
    return Drain.PLAYING if state is PlayerState.PLAYING else Drain.IDLE


@dataclass(frozen=True)
class TrackLevel:
    """What readiness and stall rules know of one track at one moment."""

    ahead: float
    """Seconds buffered contiguously ahead of the playhead."""
    buffered_end: float | None
    end_of_stream: bool = False
    switching: bool = False
    """A switch (or a Period change) flushed it and its first segment has not arrived."""


def readiness_need(start: float, rebuffer: float, *, stalled: bool, realtime: bool) -> float:
    """Seconds each track must hold ahead to start (or resume after a stall)."""
    need = rebuffer if stalled else start
    return need if realtime else min(need, 1e-3)


def ready(levels: Sequence[TrackLevel], need: float, end: float | None) -> bool:
    """Every track holds ``need`` ahead, has ended, or is buffered to ``end`` (the tail of
    the presentation may be shorter than ``need``)."""
    for t in levels:
        if t.end_of_stream or t.ahead >= need:
            continue
        if end is not None and t.buffered_end is not None and t.buffered_end >= end - TAIL_S:
            continue
        return False
    return True


def dry_tracks(levels: Sequence[TrackLevel]) -> list[int]:
    """Indexes of tracks that ran dry while playing (not ended, not mid-switch)."""
    return [
        i
        for i, t in enumerate(levels)
        if not t.end_of_stream and not t.switching and t.ahead <= DRY_S
    ]


def dry_within(levels: Sequence[TrackLevel], rate: float) -> float:
    """Seconds of clock time before the first playing track can run dry, playing at
    ``rate`` (media seconds per second, at least 1 assumed: a rate raised meanwhile still
    finds the track no later than the rate it has now allows); ``inf`` when none can (all
    ended or switching). Until then a stall check would only find what it found before."""
    spans = [t.ahead - DRY_S for t in levels if not t.end_of_stream and not t.switching]
    if not spans:
        return float("inf")
    return max(0.0, min(spans)) / max(rate, 1.0)


def is_late(clock_position: float, pts: float, duration: float) -> bool:
    """A frame more than one frame duration behind the clock it is paced against: showing
    it would only delay the frames after it (a renderer skips it)."""
    return clock_position - pts > max(duration, 1e-3)


def skip_frame(pts: float, duration: float, *, floor: float, skip_before: float) -> bool:
    """Before the seek target, or already presented from the track used before a switch."""
    return pts + duration <= floor + 1e-6 or pts + duration / 2 <= skip_before
