"""The buffer model of one track: which media time ranges have been appended.

Times are presentation seconds. Appended ranges are merged when they touch or leave a gap
no larger than ``gap_tolerance`` (segment boundaries rarely line up to the microsecond), so
"buffered ahead" is the contiguous run from the playhead. A seek flushes the model, end of
stream is a flag, and :meth:`TrackBuffer.evict_before` keeps the back buffer bounded.
"""

from __future__ import annotations

import bisect
import enum
import math
from dataclasses import dataclass

from nrdp.errors import InvalidArgument

__all__ = ["TimeRange", "TrackBuffer", "TrackKind"]


class TrackKind(enum.Enum):
    VIDEO = "video"
    AUDIO = "audio"
    TEXT = "text"


@dataclass(frozen=True, order=True)
class TimeRange:
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def _check_time(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidArgument("must be a finite number", argument=name)


class TrackBuffer:
    """Appended time ranges of one track, merged and sorted."""

    def __init__(self, kind: TrackKind, *, gap_tolerance: float = 0.05) -> None:
        _check_time("gap_tolerance", gap_tolerance)
        if gap_tolerance < 0:
            raise InvalidArgument("must be >= 0", argument="gap_tolerance")
        self.kind = kind
        self.gap_tolerance = gap_tolerance
        self._starts: list[float] = []
        self._ends: list[float] = []
        self._eos = False

    # ------------------------------------------------------------------ mutation

    def append(self, start: float, duration: float) -> None:
        """Record that media ``[start, start + duration)`` is now buffered."""
        _check_time("start", start)
        _check_time("duration", duration)
        if start < 0 or duration <= 0:
            raise InvalidArgument("start must be >= 0 and duration > 0", argument="segment")
        end = start + duration
        tol = self.gap_tolerance
        # Ranges that touch [start - tol, end + tol] merge with the new one.
        lo = bisect.bisect_left(self._ends, start - tol)
        hi = bisect.bisect_right(self._starts, end + tol)
        if lo < hi:
            start = min(start, self._starts[lo])
            end = max(end, self._ends[hi - 1])
        self._starts[lo:hi] = [start]
        self._ends[lo:hi] = [end]

    def flush(self) -> None:
        """Forget everything (a seek outside the buffer, a track switch with flush)."""
        self._starts.clear()
        self._ends.clear()
        self._eos = False

    def evict_before(self, time: float) -> float:
        """Drop media before ``time``; returns the seconds evicted."""
        _check_time("time", time)
        evicted = 0.0
        while self._starts and self._starts[0] < time:
            if self._ends[0] <= time:
                evicted += self._ends[0] - self._starts[0]
                del self._starts[0], self._ends[0]
            else:
                evicted += time - self._starts[0]
                self._starts[0] = time
                break
        return evicted

    def mark_end_of_stream(self) -> None:
        self._eos = True

    # ------------------------------------------------------------------ queries

    @property
    def end_of_stream(self) -> bool:
        return self._eos

    @property
    def ranges(self) -> tuple[TimeRange, ...]:
        return tuple(TimeRange(s, e) for s, e in zip(self._starts, self._ends, strict=True))

    @property
    def total(self) -> float:
        return sum(e - s for s, e in zip(self._starts, self._ends, strict=True))

    def _run_at(self, position: float) -> int | None:
        i = bisect.bisect_right(self._starts, position + self.gap_tolerance) - 1
        if i >= 0 and self._ends[i] > position:
            return i
        return None

    def contains(self, position: float) -> bool:
        return self._run_at(position) is not None

    def ahead(self, position: float) -> float:
        """Seconds buffered contiguously from ``position`` (0 when it is not buffered)."""
        _check_time("position", position)
        i = self._run_at(position)
        return 0.0 if i is None else self._ends[i] - position

    def buffered_end(self, position: float) -> float | None:
        """End of the contiguous run that holds ``position``, if any."""
        i = self._run_at(position)
        return None if i is None else self._ends[i]

    def gaps(self, start: float, end: float) -> list[TimeRange]:
        """Unbuffered spans within ``[start, end)``."""
        out: list[TimeRange] = []
        cursor = start
        for s, e in zip(self._starts, self._ends, strict=True):
            if e <= cursor:
                continue
            if s >= end:
                break
            if s > cursor:
                out.append(TimeRange(cursor, min(s, end)))
            cursor = max(cursor, e)
            if cursor >= end:
                break
        if cursor < end:
            out.append(TimeRange(cursor, end))
        return out

    def reached_end(self, position: float) -> bool:
        """End of stream is marked and the playhead has consumed the last buffered media."""
        return self._eos and self.ahead(position) <= self.gap_tolerance

    def __repr__(self) -> str:
        spans = ", ".join(f"{s:.3f}-{e:.3f}" for s, e in zip(self._starts, self._ends, strict=True))
        return f"TrackBuffer({self.kind.value}, [{spans}]{', eos' if self._eos else ''})"
