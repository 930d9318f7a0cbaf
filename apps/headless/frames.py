"""Frame identities of the test content: which frames were shown, and were they all, in order?

The packager stamps every picture with its frame number (docs/packager.md, "Frame ids");
reading it is a property of the test content, so this is the one module of the app that
imports from ``fake_backend`` (the embedded backend is ``apps/embedded.py``; the import
contracts allow exactly these two).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import nrdp
from fake_backend.packager.frame_id import read_frame_id

__all__ = ["FrameCheck", "FrameSink", "check_frames"]


@dataclass
class _Epoch:
    start: float
    ids: list[int | None] = field(default_factory=list)


class FrameSink(nrdp.HashSink):
    """A :class:`nrdp.HashSink` reading frame ids, split into epochs at every flush (seek)."""

    def __init__(
        self,
        *,
        read_ids: bool = True,
        ids_from_pts: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``clock``: the device clock's ``now`` (the timebase of events and reports)."""
        super().__init__(read_frame_id if read_ids else None)
        self._clock = clock
        self.read_ids = read_ids
        self.ids_from_pts = ids_from_pts and not read_ids
        """Content without the stamp (an open MPD): a frame's id is its slot, pts / duration."""
        self.epochs: list[_Epoch] = []
        self.frame_duration: float | None = None
        self._start = 0.0
        self.first_frame_at: float | None = None
        """``clock()`` when the first picture reached the sink."""
        self.on_shown: Callable[[float], None] | None = None
        """Called with each picture's end (pts + duration) after it is counted."""

    def begin(self, start: float) -> None:
        self._start = start

    def on_video(self, frame: nrdp.VideoFrame) -> None:
        super().on_video(frame)
        if self.first_frame_at is None:
            self.first_frame_at = self._clock()
        if not self.epochs:
            self.epochs.append(_Epoch(self._start))
        if self.frame_duration is None and frame.duration > 0:
            self.frame_duration = frame.duration
        self.epochs[-1].ids.append(self._frame_id(frame))
        if self.on_shown is not None:
            self.on_shown(frame.pts + frame.duration)

    def _frame_id(self, frame: nrdp.VideoFrame) -> int | None:
        if self.read_ids:
            return self.frame_ids[-1]
        if self.ids_from_pts and self.frame_duration:
            return round(frame.pts / self.frame_duration)
        return None

    def on_flush(self, position: float) -> None:
        super().on_flush(position)
        self.epochs.append(_Epoch(position))


@dataclass(frozen=True)
class FrameCheck:
    decoded: int
    expected: int
    in_order: bool
    unreadable: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "frames_decoded": self.decoded,
            "frames_expected": self.expected,
            "frames_in_order": self.in_order,
            "frames_unreadable": self.unreadable,
        }


def check_frames(
    sink: FrameSink, *, title_duration: float | None, ended: bool, dropped: int = 0
) -> FrameCheck:
    """Count what a flawless player would have shown and whether ids ran +1 each time.

    Per epoch (load or seek at ``t``) the first id must be the first frame at or after ``t``
    and each next id one more; the expected count runs to the title's last frame for the
    final epoch when playback ended, else to the last id seen (a stop or a seek cut it).
    ``dropped`` frames the SDK declared skipped (too late for their slot in real time) may
    leave that many forward gaps in total; a backward step or a duplicate never passes.
    """
    decoded = sink.video_frames
    fd = sink.frame_duration
    if not (sink.read_ids or sink.ids_from_pts) or fd is None:
        return FrameCheck(decoded, decoded, decoded > 0 and sink.read_ids, 0)
    total = round(title_duration / fd) if title_duration else None
    expected = 0
    in_order = True
    unreadable = 0
    gaps = 0
    epochs = [e for e in sink.epochs if e.ids]
    for k, ep in enumerate(epochs):
        ids = ep.ids
        unreadable += sum(1 for i in ids if i is None)
        first = math.ceil(ep.start / fd - 1e-6)
        if total is not None:
            first = min(first, total - 1)
        known = [i for i in ids if i is not None]
        if None in ids or not known or known[0] < first:
            in_order = False
        elif known[0] > first:
            gaps += known[0] - first
        for a, b in itertools.pairwise(known):
            if b <= a:
                in_order = False
            gaps += max(0, b - a - 1)
        last_seen = known[-1] if known else first + len(ids) - 1
        last = total - 1 if (ended and k == len(epochs) - 1 and total is not None) else last_seen
        expected += max(0, last - first + 1)
    if not epochs and ended and total is not None:
        expected = total
        in_order = False
    if gaps > dropped:
        in_order = False
    return FrameCheck(decoded, expected, in_order and decoded > 0, unreadable)
