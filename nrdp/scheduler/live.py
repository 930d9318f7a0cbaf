"""The engine's live side: one :class:`LivePlayback` per dynamic MPD, over the pure
decisions of :mod:`nrdp.live` (held in a :class:`~nrdp.live.LiveTimeline`).

What it changes in the engine:

- segment indexes are bounded by the server's ``now`` plus a look-ahead (the next segment
  is known before it is available, so the fetcher can wait for it on the clock);
- before a request the fetcher waits for the segment's availability start, and skips (with
  a ``SegmentSkipped`` event) a segment that left the time-shift window;
- a 404 is handed back by the delivery policy (:class:`LiveLoadErrorPolicy`) instead of
  being a failover, and the live decision says retry on the same location after the
  advertised availability, fail over, or skip;
- a track whose index has no next segment yet is waiting, not ended: it ends only at a
  known Period end or after the event ended (the MPD turned static).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from typing import TypeVar

from manifest.model import Representation, SegmentRef
from mediacore.errors import SdkError
from nrdp.clock import Clock
from nrdp.delivery.policy import (
    FallbackOptions,
    Fatal,
    LoadErrorDecision,
    LoadErrorInfo,
    LoadErrorPolicy,
)
from nrdp.errors import HttpStatusError
from nrdp.events import Event
from nrdp.live.availability import Decision, Failover, RetryAt, Skip, WaitUntil
from nrdp.live.events import SegmentSkipped
from nrdp.live.timeline import LiveTimeline

__all__ = ["LiveLoadErrorPolicy", "LivePlayback", "is_not_found", "live_download", "wall_clock"]

T = TypeVar("T")

LOOKAHEAD_SEGMENTS = 2.0
"""The index reaches this many segment durations past ``now``: the fetcher sees the next
segment early and waits for its availability instead of polling the index."""

AVAILABILITY_MARGIN = timedelta(milliseconds=20)
"""Asked this long after the advertised availability start: a request at the very instant
races the origin's own clock (a 404 there costs a retry pause)."""

_RETURN_404 = contextvars.ContextVar("nrdp_live_return_404", default=False)


class LiveLoadErrorPolicy:
    """The delivery policy, except that a 404 on a live segment request is handed back to
    the fetcher (it is the live decision's: retry after availability, fail over, skip)."""

    def __init__(self, inner: LoadErrorPolicy) -> None:
        self.inner = inner

    def on_load_error(self, info: LoadErrorInfo, options: FallbackOptions) -> LoadErrorDecision:
        err = info.error
        if _RETURN_404.get() and isinstance(err, HttpStatusError) and err.status == 404:
            return Fatal(err)
        return self.inner.on_load_error(info, options)


@contextlib.contextmanager
def returning_404() -> Iterator[None]:
    """Inside: a 404 raises to the caller instead of failing over (this task only)."""
    token = _RETURN_404.set(True)
    try:
        yield
    finally:
        _RETURN_404.reset(token)


def is_not_found(err: BaseException) -> bool:
    """A 404 from the downloader (as is, or as the cause of AllOcasFailed)."""
    seen: BaseException | None = err
    for _ in range(3):
        if isinstance(seen, HttpStatusError) and seen.status == 404:
            return True
        if seen is None:
            return False
        seen = seen.__cause__
    return False


def wall_clock(clock: Clock, wall: Callable[[], float]) -> Callable[[], float]:
    """Device wall time that runs with ``clock`` (a virtual clock's too), anchored to
    ``wall()`` once: the live decisions and the engine's waits then agree."""
    anchor = wall() - clock.now()
    return lambda: anchor + clock.now()


class LivePlayback:
    """Live state of one playback, shared by the engine's tasks and the live task."""

    def __init__(
        self,
        timeline: LiveTimeline,
        *,
        clock: Clock,
        wall: Callable[[], float],
        emit: Callable[[Event], None],
    ) -> None:
        self.timeline = timeline
        self.clock = clock
        self.wall = wall
        self.emit = emit
        self.suspect_clock = False
        """A segment was not where the clock said (404 near the edge, skip): resample."""

    @property
    def ended(self) -> bool:
        """The event ended: the model is static (or has mediaPresentationDuration)."""
        return self.timeline.end is not None

    def now(self) -> datetime:
        return self.timeline.now(self.wall())

    def horizon(self) -> datetime:
        """``now`` plus the look-ahead, for segment indexes."""
        seg = self.timeline.manifest.max_segment_duration or 2.0
        return self.now() + timedelta(seconds=LOOKAHEAD_SEGMENTS * seg)

    def segment_start(self, rep: Representation, position: float) -> float:
        """The segment start of ``rep`` nearest ``position`` (a start or seek there decodes
        no frame it would throw away; the nearest keeps the latency within half a segment
        of the target), never past the newest available segment's start."""
        w = self.timeline.window(self.wall())
        try:
            ref = rep.index(self.horizon()).at_time(position)
        except (LookupError, SdkError):
            return position
        later = ref.start + ref.duration
        if position - ref.start > ref.duration / 2 and later <= w.edge - w.segment_duration:
            return later
        return max(0.0, ref.start)

    def may_end(self, rep: Representation) -> bool:
        """No next segment in ``rep``'s index means its end (not "not yet")."""
        return rep.context.period_duration is not None or not self.timeline.manifest.is_dynamic

    async def wait_until(self, at: datetime) -> None:
        delay = (at - self.now()).total_seconds()
        if delay > 0:
            await self.clock.sleep(delay)

    async def before_request(self, rep: Representation, ref: SegmentRef, track: str) -> bool:
        """Wait for ``ref``'s availability; False when it is skipped (left the window)."""
        decision = self.timeline.plan(rep, ref, self.wall())
        if isinstance(decision, WaitUntil):
            await self.wait_until(decision.at + AVAILABILITY_MARGIN)
            return True
        if isinstance(decision, Skip):
            self.skipped(ref, track, decision.reason)
            return False
        return True

    async def after_not_found(
        self, rep: Representation, ref: SegmentRef, track: str, attempt: int
    ) -> Decision:
        """The decision after the ``attempt``-th 404 (a RetryAt has been waited for)."""
        decision = self.timeline.on_not_found(rep, ref, self.wall(), attempt)
        if isinstance(decision, RetryAt):
            self.suspect_clock = True
            await self.wait_until(decision.at)
        elif isinstance(decision, Skip):
            self.skipped(ref, track, decision.reason)
        return decision

    def skipped(self, ref: SegmentRef, track: str, reason: str) -> None:
        self.suspect_clock = True
        self.emit(
            SegmentSkipped(
                at=self.clock.now(),
                track=track,
                number=ref.number,
                start=ref.start,
                duration=ref.duration,
                reason=reason,
            )
        )


async def live_download(
    live: LivePlayback,
    rep: Representation,
    ref: SegmentRef,
    track: str,
    download: Callable[[], Awaitable[T]],
) -> T | None:
    """``download()`` under the live rules; None when the segment was skipped."""
    if not await live.before_request(rep, ref, track):
        return None
    attempt = 0
    while True:
        try:
            with returning_404():
                return await download()
        except SdkError as err:
            if not is_not_found(err):
                raise
        attempt += 1
        decision = await live.after_not_found(rep, ref, track, attempt)
        if isinstance(decision, Skip):
            return None
        if isinstance(decision, Failover):  # this OCA lacks it: the others may have it
            try:
                return await download()
            except SdkError as err:
                if not is_not_found(err):
                    raise
            live.timeline.counters.segments_skipped += 1
            live.skipped(ref, track, "missing")  # no location has it: a gap, not an error
            return None
