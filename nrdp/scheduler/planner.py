"""The request planner: which segment of which track to fetch next, if any.

A pure function of the tracks (segment index, buffer, next segment number, whether a
download is in flight), the playhead, the buffer config, paused or not, and ``now``.

Rules, per track that has no download in flight and has not reached its end:

1. The next segment is ``next_number`` from the track's index, or the segment at the
   playhead when there is none yet (start, seek) or when it lies wholly behind the playhead.
   An index with no such segment means the track is complete: it is reported in
   :attr:`Plan.ended` and the caller marks the buffer's end of stream. Nothing past the
   index's last segment is ever requested.
2. A track whose contiguous buffer ahead of the playhead has reached the goal
   (``target``, or ``paused_target`` while paused) is full.
3. A request never reaches further than ``max_ahead`` past the playhead, unless the
   segment holds the playhead itself (so one long segment cannot deadlock playback).
4. Lock-step: an audio or video track already a whole segment ahead of the least-buffered
   of them waits (it is reported in :attr:`Plan.waiting`). On a link barely above the media
   rate, audio's small segments would otherwise race ahead and take the bandwidth the next
   video segment needs (measured on a shaped link: docs/contest.md).
5. Eligible tracks are served lowest buffer first (ties: video, audio, text), which keeps
   audio and video balanced; at most ``max_requests`` requests are returned.

The planner does not depend on the manifest package's classes: any object with
``at_time(time)`` and ``by_number(number)`` returning things with ``number``, ``start`` and
``duration`` is a :class:`SegmentIndex`; ``manifest.Representation.index()`` is one as-is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from manifest.errors import SegmentNotFound
from nrdp.config import BufferConfig
from nrdp.errors import InvalidArgument
from nrdp.scheduler.buffer import TrackBuffer, TrackKind

__all__ = ["Plan", "SegmentIndex", "SegmentRef", "SegmentRequest", "TrackCursor", "plan"]

T = TypeVar("T", int, float)

_KIND_ORDER = {TrackKind.VIDEO: 0, TrackKind.AUDIO: 1, TrackKind.TEXT: 2}


class SegmentRef(Protocol):
    @property
    def number(self) -> int: ...
    @property
    def start(self) -> float: ...
    @property
    def duration(self) -> float: ...


class SegmentIndex(Protocol):
    """The part of ``manifest.addressing.SegmentIndex`` the planner needs.

    Both lookups raise (``manifest.SegmentNotFound`` or any ``LookupError``) when no
    segment matches, e.g. past the end of the presentation.
    """

    def at_time(self, time: float) -> SegmentRef:
        """The segment whose span holds ``time`` (in a gap: the next one)."""
        ...

    def by_number(self, number: int) -> SegmentRef:
        """The segment numbered ``number``."""
        ...


@dataclass(frozen=True)
class TrackCursor:
    """What the planner knows of one track."""

    kind: TrackKind
    index: SegmentIndex
    buffer: TrackBuffer
    next_number: int | None = None
    in_flight: bool = False


@dataclass(frozen=True)
class SegmentRequest:
    """Fetch segment ``number`` of track ``kind``; ``deadline`` is when playback needs it
    (``None`` while paused), for timeouts and CMCD ``dl``."""

    kind: TrackKind
    number: int
    start: float
    duration: float
    buffered_ahead: float
    deadline: float | None


@dataclass(frozen=True)
class Plan:
    requests: tuple[SegmentRequest, ...] = ()
    ended: tuple[TrackKind, ...] = ()
    full: tuple[TrackKind, ...] = ()
    waiting: tuple[TrackKind, ...] = ()
    """Tracks held back by the lock-step rule (not full: they fetch again soon)."""

    @property
    def idle(self) -> bool:
        return not self.requests


def _lookup(find: Callable[[T], SegmentRef], key: T) -> SegmentRef | None:
    try:
        return find(key)
    except (LookupError, SegmentNotFound):
        return None


def _next_ref(cursor: TrackCursor, position: float) -> SegmentRef | None:
    if cursor.next_number is not None:
        ref = _lookup(cursor.index.by_number, cursor.next_number)
        if ref is None:
            return None
        if ref.start + ref.duration > position:
            return ref
        # the next segment is behind the playhead: look up the playhead instead
    return _lookup(cursor.index.at_time, position)


def plan(
    tracks: Sequence[TrackCursor],
    *,
    position: float,
    config: BufferConfig,
    paused: bool,
    now: float,
    max_requests: int = 1,
) -> Plan:
    """The next requests (see the module docstring for the rules)."""
    if max_requests < 1:
        raise InvalidArgument("must be >= 1", argument="max_requests")
    if position < 0:
        raise InvalidArgument("must be >= 0", argument="position")
    goal = config.goal(paused=paused)
    candidates: list[tuple[float, int, SegmentRequest]] = []
    ended: list[TrackKind] = []
    full: list[TrackKind] = []
    waiting: list[TrackKind] = []
    laggard = _least_buffered(tracks, position)
    for cursor in tracks:
        if cursor.in_flight or cursor.buffer.end_of_stream:
            continue
        ref = _next_ref(cursor, position)
        if ref is None:
            ended.append(cursor.kind)
            continue
        ahead = cursor.buffer.ahead(position)
        holds_playhead = ref.start <= position + cursor.buffer.gap_tolerance
        reach = ref.start + ref.duration - position
        if ahead >= goal or (reach > config.max_ahead and not holds_playhead):
            full.append(cursor.kind)
            continue
        if laggard is not None and cursor.kind in _LOCK_STEP and ahead - laggard >= ref.duration:
            waiting.append(cursor.kind)
            continue
        deadline = None if paused else now + max(0.0, ref.start - position)
        request = SegmentRequest(cursor.kind, ref.number, ref.start, ref.duration, ahead, deadline)
        candidates.append((ahead, _KIND_ORDER[cursor.kind], request))
    candidates.sort(key=lambda c: (c[0], c[1]))
    return Plan(
        requests=tuple(c[2] for c in candidates[:max_requests]),
        ended=tuple(ended),
        full=tuple(full),
        waiting=tuple(waiting),
    )


_LOCK_STEP = (TrackKind.VIDEO, TrackKind.AUDIO)


def _least_buffered(tracks: Sequence[TrackCursor], position: float) -> float | None:
    """Seconds ahead of the least-buffered audio/video track still fetching (None when
    fewer than two such tracks are, so a lone track is never held back)."""
    levels = [
        c.buffer.ahead(position)
        for c in tracks
        if c.kind in _LOCK_STEP and not c.buffer.end_of_stream
    ]
    return min(levels) if len(levels) > 1 else None
