"""Values exchanged between the player (or the simulator) and an ABR algorithm.

An algorithm sees one :class:`Observation` per segment request and answers with a
:class:`Decision`. Everything is an immutable value: no callbacks, no clock, no media element.
Units: seconds, bytes, kilobits per second (1 kbit = 1000 bit).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from abr.errors import InvalidObservationError

__all__ = [
    "Decision",
    "Ladder",
    "Observation",
    "Phase",
    "Rung",
    "ThroughputSample",
    "clamp_rung",
]


class Phase(enum.Enum):
    """Where playback is; buffer-based algorithms behave differently in each."""

    STARTUP = "startup"
    STEADY = "steady"
    AFTER_SEEK = "after_seek"
    REBUFFERING = "rebuffering"


@dataclass(frozen=True, slots=True)
class Rung:
    """One representation of the ladder."""

    index: int
    bitrate_kbps: float


@dataclass(frozen=True, slots=True)
class Ladder:
    """Rungs sorted by increasing bitrate, and the nominal segment duration."""

    bitrates_kbps: tuple[float, ...]
    segment_duration_s: float

    def __post_init__(self) -> None:
        b = self.bitrates_kbps
        if not b:
            raise InvalidObservationError("ladder has no rungs", field="bitrates_kbps")
        if any(x <= 0 for x in b) or any(b[i] >= b[i + 1] for i in range(len(b) - 1)):
            raise InvalidObservationError(
                "ladder bitrates must be positive and strictly increasing", field="bitrates_kbps"
            )
        if not self.segment_duration_s > 0:
            raise InvalidObservationError(
                "segment duration must be positive", field="segment_duration_s"
            )

    @property
    def rungs(self) -> tuple[Rung, ...]:
        return tuple(Rung(i, b) for i, b in enumerate(self.bitrates_kbps))

    def __len__(self) -> int:
        return len(self.bitrates_kbps)

    @property
    def top(self) -> int:
        return len(self.bitrates_kbps) - 1

    def highest_below(self, kbps: float) -> int:
        """The highest rung whose bitrate is at most ``kbps`` (rung 0 if none is)."""
        best = 0
        for i, b in enumerate(self.bitrates_kbps):
            if b <= kbps:
                best = i
        return best


@dataclass(frozen=True, slots=True)
class ThroughputSample:
    """One finished download: time to first byte is kept apart from the transfer time."""

    bytes: int
    ttfb_s: float
    transfer_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.ttfb_s + self.transfer_s

    @property
    def kbps(self) -> float:
        """Goodput over the whole request (what request-level estimators see)."""
        return self.bytes * 8.0 / 1000.0 / max(self.duration_s, 1e-9)

    @property
    def transfer_kbps(self) -> float:
        """Throughput of the body alone (latency excluded)."""
        return self.bytes * 8.0 / 1000.0 / max(self.transfer_s, 1e-9)


@dataclass(frozen=True, slots=True)
class Decision:
    """The rung to fetch next and a short human-readable reason (logged, plotted)."""

    rung: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Observation:
    """What the algorithm knows when it picks the next segment.

    ``upcoming_sizes[k][r]`` is the size in bytes of the k-th upcoming segment at rung r
    (k = 0 is the segment being chosen) when the manifest or index tells it; it may be
    shorter than the rest of the video or empty. ``samples`` are the most recent finished
    downloads, oldest first. ``segments_left`` counts the segment being chosen.
    """

    now: float
    buffer_s: float
    phase: Phase
    ladder: Ladder
    segment_index: int = 0
    segments_left: int | None = None
    upcoming_sizes: tuple[tuple[int, ...], ...] = ()
    samples: tuple[ThroughputSample, ...] = ()
    last_decision: Decision | None = None
    buffer_cap_s: float | None = None

    def segment_size(self, offset: int, rung: int) -> float:
        """Bytes of upcoming segment ``offset`` at ``rung``; nominal bitrate when unknown."""
        if 0 <= offset < len(self.upcoming_sizes):
            row = self.upcoming_sizes[offset]
            if rung < len(row):
                return float(row[rung])
        return self.ladder.bitrates_kbps[rung] * 1000.0 / 8.0 * self.ladder.segment_duration_s

    def sizes_matrix(self, horizon: int) -> list[list[float]]:
        """``horizon`` x rungs sizes in bytes (nominal where unknown)."""
        n = len(self.ladder)
        return [[self.segment_size(k, r) for r in range(n)] for k in range(horizon)]

    @property
    def last_rung(self) -> int | None:
        return None if self.last_decision is None else self.last_decision.rung


def clamp_rung(rung: int, ladder: Ladder | Sequence[float]) -> int:
    """Clamp an index into the ladder."""
    return max(0, min(int(rung), len(ladder) - 1))
