"""The live edge, the DVR window and where to start or seek in a dynamic MPD.

Pure: ``now`` is the server-synchronised time (:func:`nrdp.live.utc.utc_now`). Positions
are on the MPD timeline (seconds since availabilityStartTime), the timeline SegmentRef
uses. Latency is ``now`` on that timeline minus the playback position (what dash.js and
Shaka report): a player at the newest complete segment's start is at least one segment
duration behind.

Availability itself (AST + end - availabilityTimeOffset, the time-shift buffer) comes from
:mod:`manifest.timing`; this module picks the tracks and combines their windows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from manifest.model import AdaptationSet, Manifest, Representation
from manifest.timing import available_segments, live_edge
from nrdp.errors import InvalidArgument

__all__ = [
    "DEFAULT_LATENCY_SEGMENTS",
    "LiveWindow",
    "clamp_seek",
    "live_window",
    "start_position",
    "target_latency",
]

DEFAULT_LATENCY_SEGMENTS = 3.0
"""Without suggestedPresentationDelay or a configured target: three segment durations."""
_MEDIA_KINDS = ("video", "audio")


@dataclass(frozen=True, slots=True)
class LiveWindow:
    """What a dynamic MPD offers at one instant.

    ``now_s``: now on the MPD timeline. ``edge``: end of the newest segment every media
    track has available (playing past it stalls). ``dvr_start``: start of the oldest segment
    every track still has. ``segment_duration``: the longest newest segment seen (for
    margins). ``empty``: no track has a segment yet.
    """

    now_s: float
    edge: float
    dvr_start: float
    segment_duration: float
    empty: bool = False

    @property
    def depth(self) -> float:
        return max(0.0, self.edge - self.dvr_start)

    def latency(self, position: float) -> float:
        return self.now_s - position


def _media_sets(m: Manifest) -> Iterator[tuple[int, AdaptationSet]]:
    sets = [(i, a) for i, p in enumerate(m.periods) for a in p.adaptation_sets]
    media = [(i, a) for i, a in sets if a.kind in _MEDIA_KINDS]
    yield from media or sets


def _span(rep: Representation, now: datetime) -> tuple[float, float, float] | None:
    """(oldest start, newest end, newest duration) of ``rep``'s available segments."""
    positions = available_segments(rep, now)
    if not positions:
        return None
    index = rep.index(now)
    first, last = index[positions[0]], index[positions[-1]]
    return first.start, last.end, last.duration


def live_window(m: Manifest, now: datetime) -> LiveWindow:
    """The edge and DVR window at ``now``; raises InvalidArgument for a static MPD.

    Tracks are combined by kind (a kind's Periods are one run): the edge is the smallest
    newest end over kinds, the DVR start the largest oldest start. The first
    Representation of each AdaptationSet stands for the set (segments are aligned).
    """
    now_s = live_edge(m, now)
    if now_s is None:
        raise InvalidArgument("not a dynamic MPD with availabilityStartTime", argument="m")
    spans: dict[str, tuple[float, float, float]] = {}
    for _, aset in _media_sets(m):
        if not aset.representations:
            continue
        span = _span(aset.representations[0], now)
        if span is None:
            continue
        key = aset.kind or "other"
        old = spans.get(key)
        spans[key] = (
            span
            if old is None
            else (min(old[0], span[0]), max(old[1], span[1]), max(old[2], span[2]))
        )
    if not spans:
        return LiveWindow(now_s, now_s, now_s, 0.0, empty=True)
    edge = min(s[1] for s in spans.values())
    start = max(s[0] for s in spans.values())
    return LiveWindow(now_s, edge, min(start, edge), max(s[2] for s in spans.values()))


def target_latency(m: Manifest, window: LiveWindow, configured: float | None = None) -> float:
    """The latency to hold: the configured one, else suggestedPresentationDelay, else
    :data:`DEFAULT_LATENCY_SEGMENTS` segment durations (at least minBufferTime)."""
    if configured is not None:
        if configured < 0:
            raise InvalidArgument("must be >= 0", argument="target_latency")
        return configured
    if m.suggested_presentation_delay is not None:
        return m.suggested_presentation_delay
    seg = window.segment_duration or m.max_segment_duration or 2.0
    return max(DEFAULT_LATENCY_SEGMENTS * seg, m.min_buffer_time or 0.0)


def clamp_seek(window: LiveWindow, position: float) -> float:
    """``position`` kept inside the DVR window (never past the edge)."""
    return min(max(position, window.dvr_start), window.edge)


def start_position(
    m: Manifest,
    window: LiveWindow,
    *,
    latency: float | None = None,
    dvr_offset: float | None = None,
) -> float:
    """Where playback starts: ``now - target latency``, or ``dvr_offset`` seconds into the
    DVR window (negative: counted back from the edge); always inside the window."""
    if dvr_offset is not None:
        base = window.dvr_start if dvr_offset >= 0 else window.edge
        wanted = base + dvr_offset
    else:
        wanted = window.now_s - target_latency(m, window, latency)
    # Never later than the newest segment's start: a start at the edge has nothing to play.
    newest = max(window.dvr_start, window.edge - window.segment_duration)
    return min(max(wanted, window.dvr_start), newest)
