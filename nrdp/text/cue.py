"""The subtitle cue a :class:`~nrdp.media.sinks.Sink` receives, and the pure cue timetable.

:class:`CueSchedule` answers "which cues are due at this playhead?": each cue is handed out
once, in start order, when the playhead reaches its start; a seek (:meth:`CueSchedule.reset`)
rewinds or skips so that the cues still showing at the new position are handed out again
and the ones that already ended are not.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass

from nrdp.errors import InvalidArgument

__all__ = ["CueSchedule", "TextCue"]


@dataclass(frozen=True)
class TextCue:
    """One subtitle: show ``text`` from ``start`` to ``end`` (media seconds).

    ``text`` is the WebVTT payload as written (lines joined by ``\\n``, tags such as
    ``<i>`` kept); ``track_id`` is the :class:`~nrdp.scheduler.tracks.TrackInfo` id.
    """

    start: float
    end: float
    text: str
    track_id: str

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise InvalidArgument("must be a finite time", argument=name)
        if self.end < self.start:
            raise InvalidArgument("a cue cannot end before it starts", argument="end")


class CueSchedule:
    """Cues in start order and a cursor: :meth:`due` returns each cue once, when due."""

    def __init__(self, cues: Iterable[TextCue], position: float = 0.0) -> None:
        self.cues = tuple(sorted(cues, key=lambda c: (c.start, c.end)))
        self._starts = [c.start for c in self.cues]
        self._next = 0
        self._floor = 0.0
        self.reset(position)

    def reset(self, position: float) -> None:
        """A seek (or a track switch) to ``position``: cues still showing there come again."""
        self._floor = position
        self._next = next((i for i, c in enumerate(self.cues) if c.end > position), len(self.cues))

    def due(self, position: float) -> list[TextCue]:
        """Cues whose start the playhead has reached since the last call (never one that
        ended before the last reset)."""
        stop = bisect.bisect_right(self._starts, position)
        out = [c for c in self.cues[self._next : stop] if c.end > self._floor]
        self._next = max(self._next, stop)
        return out

    @property
    def exhausted(self) -> bool:
        return self._next >= len(self.cues)
