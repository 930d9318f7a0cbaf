"""A live channel as a pure function of time: which segments exist, when each becomes
available, and the MPD a client gets at ``now``.

Segment ``g`` (0-based since availabilityStartTime) of a track is source segment
``g % count`` of loop ``g // count``: media time ``loop * loop_ticks + source start``. The
last segment of a loop is stretched or cut so loops are contiguous on the nominal grid
(``count * segment_s``) for every track; audio, whose frames do not divide the grid, then
overlaps or gaps by less than one frame at the loop seam. All times below are seconds since
availabilityStartTime (``e``).

Addressing: ``time`` = SegmentTimeline + ``$Time$`` (actual durations), ``number`` =
``@duration`` + ``$Number$`` (nominal grid; number ``g + 1``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from fake_backend.live.source import LoopSource, LoopTrack

__all__ = ["LIVE_GENRE", "ChannelConfig", "ChannelState", "Lookup", "Timing"]

LIVE_GENRE = "live"
"""The genre that marks a catalog row as a live channel (discovery's Live row, Play API)."""

Addressing = Literal["time", "number"]


@dataclass(frozen=True)
class ChannelConfig:
    """One channel: its id (a catalog title), addressing and live parameters."""

    id: str
    name: str
    addressing: Addressing
    segment_s: float = 2.0
    loop_s: float = 12.0
    time_shift_buffer_s: float = 30.0
    presentation_delay_s: float = 6.0
    update_period_s: float | None = None
    """minimumUpdatePeriod (default: one segment duration)."""
    rungs: tuple[str, ...] = ("v240", "v360")
    """Video rungs of the standard ladder the channel's loop is packaged in (plus audio)."""

    @property
    def media_template(self) -> str:
        var = "$Time$" if self.addressing == "time" else "$Number$"
        return f"$RepresentationID$/live-{var}.m4s"


@dataclass
class ChannelState:
    """What the control plane changed: Period boundaries, late/missing segments, the end."""

    periods: list[int] = field(default_factory=lambda: [0])
    """Segment index where each Period starts (ascending, the first is 0)."""
    late: dict[int, float] = field(default_factory=dict)
    """Segment index -> seconds its publication is delayed."""
    missing: set[int] = field(default_factory=set)
    ended_at: int | None = None
    """Segments 0..ended_at-1 exist; the MPD is static from then on."""

    def period_of(self, g: int) -> int:
        return max(j for j, start in enumerate(self.periods) if start <= g)


@dataclass(frozen=True)
class Lookup:
    """A segment request resolved: the source file, its decode-time shift, availability."""

    g: int
    source_path: str
    shift: int
    available_at: float


class Timing:
    """Segment times of one channel over one source (pure arithmetic)."""

    def __init__(self, config: ChannelConfig, source: LoopSource) -> None:
        self.config = config
        self.source = source
        self.count = source.count

    def loop_ticks(self, track: LoopTrack) -> int:
        return round(self.count * self.source.segment_s * track.timescale)

    def times(self, track: LoopTrack, g: int) -> tuple[int, int]:
        """(media time, duration) of segment ``g`` in the track's timescale."""
        loop, i = divmod(g, self.count)
        starts = track.starts
        t = loop * self.loop_ticks(track) + starts[i]
        if i == self.count - 1:
            return t, self.loop_ticks(track) - starts[i]
        return t, track.durations[i]

    def end_s(self, track: LoopTrack, g: int) -> float:
        """When segment ``g`` is complete (and published): actual end, or the grid's."""
        if self.config.addressing == "number":
            return (g + 1) * self.source.segment_s
        t, d = self.times(track, g)
        return (t + d) / track.timescale

    def newest(self, track: LoopTrack, e: float) -> int:
        """The last segment complete at ``e`` (-1: none yet)."""
        g = max(-1, math.floor(e / self.source.segment_s + 1e-9) - 1)
        while g + 1 >= 0 and self.end_s(track, g + 1) <= e + 1e-9:
            g += 1
        while g >= 0 and self.end_s(track, g) > e + 1e-9:
            g -= 1
        return g

    def oldest(self, track: LoopTrack, e: float) -> int:
        """The first segment still in the time-shift buffer at ``e``."""
        horizon = e - self.config.time_shift_buffer_s - self.source.segment_s
        g = max(0, math.floor(horizon / self.source.segment_s) - 1)
        while self.end_s(track, g) <= horizon:
            g += 1
        return g

    def index_of_time(self, track: LoopTrack, t: int) -> int | None:
        loop, offset = divmod(t, self.loop_ticks(track))
        try:
            i = track.starts.index(offset)
        except ValueError:
            return None
        return loop * self.count + i

    def lookup(self, track: LoopTrack, g: int, state: ChannelState) -> Lookup:
        i = g % self.count
        t, _ = self.times(track, g)
        available = self.end_s(track, g) + state.late.get(g, 0.0)
        return Lookup(g, track.paths[i], t - track.starts[i], available)
