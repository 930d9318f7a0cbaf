"""A/V sync with audio as the master clock: the arithmetic, and which video frame to show.

Pure (no Qt, no clocks): times are arguments. The audio device's clock is the media time of
the sample being heard now: the first sample's time, plus what the sink has processed,
minus what still waits in its buffer (``played_position``). :class:`VideoSync` holds the
frames the SDK delivered and, at each tick, gives the newest one whose time has come on that
clock; older due frames are dropped (late), and future ones wait. The SDK delivers frames on
its own session clock, slightly ahead of what the device plays out (the device's buffer), so
the hold absorbs that latency; if the audio clock stops (audio ended or starved) the queue
is bounded and video goes on, paced by the SDK, counting what it had to skip.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

__all__ = ["SyncPick", "VideoSync", "played_position"]


def played_position(
    first_pts: float, processed_us: int, buffered_bytes: int, bytes_per_second: int
) -> float:
    """Media time (s) of the sample playing now: start + processed - still buffered."""
    if bytes_per_second <= 0:
        raise ValueError("bytes_per_second must be positive")
    buffered_s = max(0, buffered_bytes) / bytes_per_second
    return first_pts + max(0.0, processed_us / 1e6 - buffered_s)


class _Timed(Protocol):
    @property
    def pts(self) -> float: ...

    @property
    def duration(self) -> float: ...


F = TypeVar("F", bound=_Timed)


@dataclass(frozen=True)
class SyncPick(Generic[F]):
    """One tick's decision: the frame to show (or ``None``: keep the current one)."""

    frame: F | None
    dropped: int
    waiting: int


class VideoSync(Generic[F]):
    """Frames held against the master clock (bounded: ``max_held`` frames)."""

    def __init__(self, *, max_held: int = 90, early: float = 0.002) -> None:
        self.max_held = max_held
        self.early = early  # show a frame this much before its time (tick granularity)
        self._held: deque[F] = deque()
        self.dropped = 0
        self.shown = 0

    def __len__(self) -> int:
        return len(self._held)

    def push(self, frame: F) -> None:
        self._held.append(frame)

    def clear(self) -> None:
        self._held.clear()

    def pick(self, clock: float | None) -> SyncPick[F]:
        """The frame to show at master time ``clock`` (``None``: no master yet, show next)."""
        held = self._held
        dropped = 0
        show: F | None = None
        while len(held) > self.max_held:  # the master clock stopped: let video go on
            if show is not None:
                dropped += 1
            show = held.popleft()
        if clock is None:
            if held and show is None:
                show = held.popleft()
        else:
            while held and held[0].pts <= clock + self.early:
                if show is not None:
                    dropped += 1
                show = held.popleft()
        self.dropped += dropped
        if show is not None:
            self.shown += 1
        return SyncPick(frame=show, dropped=dropped, waiting=len(held))
