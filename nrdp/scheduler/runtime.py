"""The engine's mutable per-track state and the values its tasks pass each other."""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from typing import Any

from manifest.model import Representation
from nrdp.media.pipeline import ClearInit
from nrdp.scheduler.buffer import TrackBuffer, TrackKind
from nrdp.scheduler.decisions import TrackLevel
from nrdp.scheduler.tracks import TrackChoice

__all__ = ["DecodeOptions", "FrameCounter", "Queued", "TrackRuntime"]


@dataclass(frozen=True)
class DecodeOptions:
    """What the sink wants from the decoder, read once from the sink (not per call)."""

    decode: bool = True
    """``False``: sample slots from the ``trun`` only, no PyAV (load tests)."""
    pixels: bool = False
    digests: bool = False
    chroma: bool = False

    @classmethod
    def for_sink(cls, sink: Any, *, decode: bool = True) -> DecodeOptions:
        return cls(
            decode=decode,
            pixels=bool(getattr(sink, "wants_pixels", False)),
            digests=bool(getattr(sink, "wants_digests", False)),
            chroma=bool(getattr(sink, "wants_chroma", False)),
        )


@dataclass
class Queued:
    """One downloaded, decrypted segment waiting for its presenter."""

    number: int
    start: float
    duration: float
    init: ClearInit
    data: bytes
    generation: int = 0
    offset: float = 0.0
    """Seconds from the decoder's media time to the MPD timeline (Period start - PTO)."""


@dataclass
class TrackRuntime:
    """Mutable per-track state of the engine (buffer model, queue, rung)."""

    choice: TrackChoice
    buffer: TrackBuffer
    next_number: int | None = None
    in_flight: bool = False
    rung: int | None = None
    queue: collections.deque[Queued] = field(default_factory=collections.deque)
    presented_to: float | None = None
    presented: int = 0
    dropped: int = 0
    excluded: dict[int, float] = field(default_factory=dict)
    generation: int = 0
    """Bumped by a track switch: downloads and queued segments of older ones are dropped."""
    skip_before: float = 0.0
    """After a switch: media before this time was already presented from the old track."""
    switching: bool = False
    """A switch flushed the buffer and the new track's first segment has not arrived yet."""
    done: bool = False
    """The presenter reached the end of this track in the current epoch."""

    @property
    def kind(self) -> TrackKind:
        return self.choice.kind

    def rep(self, rung: int) -> Representation:
        return self.choice.representations[rung]

    def flush(self) -> None:
        """Forget everything buffered and presented (a new epoch: start or seek)."""
        self.buffer.flush()
        self.queue.clear()
        self.next_number = None
        self.in_flight = False
        self.presented_to = None
        self.skip_before = 0.0
        self.switching = False
        self.done = False

    def switch_to(self, choice: TrackChoice, floor: float) -> None:
        """Play ``choice`` from the playhead on: what was buffered ahead is dropped and
        fetched again from the new track, starting with the segment that holds the
        playhead; what was already presented is not presented again."""
        self.choice = choice
        self.generation += 1
        self.rung = None
        self.excluded.clear()
        if self.done:  # nothing of this track is left to play in this epoch
            return
        self.queue.clear()
        presented = self.presented_to if self.presented_to is not None else floor
        self.skip_before = max(self.skip_before, presented)
        self.buffer.flush()
        self.next_number = None
        self.switching = True

    def level(self, position: float) -> TrackLevel:
        return TrackLevel(
            ahead=self.buffer.ahead(position),
            buffered_end=self.buffer.buffered_end(position),
            end_of_stream=self.buffer.end_of_stream,
            switching=self.switching,
        )


class FrameCounter:
    """Video frames presented and dropped over a session (the tracks of Periods already
    left included), and what ``FramesRendered`` has reported so far."""

    def __init__(self) -> None:
        self._earlier = (0, 0)
        self._reported = (0, 0)

    def totals(self, tracks: list[TrackRuntime]) -> tuple[int, int]:
        """(presented, dropped) so far."""
        video = [t for t in tracks if t.kind is TrackKind.VIDEO]
        shown = self._earlier[0] + sum(t.presented for t in video)
        return shown, self._earlier[1] + sum(t.dropped for t in video)

    def retire(self, tracks: list[TrackRuntime]) -> None:
        """``tracks`` are being replaced (a new Period): keep their counts."""
        self._earlier = self.totals(tracks)

    def unreported(self, tracks: list[TrackRuntime]) -> tuple[int, int] | None:
        """(presented, dropped) since the last call, or ``None`` when nothing changed."""
        total, drops = self.totals(tracks)
        if total <= self._reported[0] and drops <= self._reported[1]:
            return None
        delta = (total - self._reported[0], drops - self._reported[1])
        self._reported = (total, drops)
        return delta
