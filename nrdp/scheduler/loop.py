"""The playback engine: a thin wiring of small I/O tasks around pure decisions.

::

    PlaybackEngine.run()  one epoch (start or seek) = the Periods from the playhead on
      └─ per Period: asyncio.TaskGroup
           ├─ Fetcher    planner.plan() -> decisions.apply_rung_rules(abr.choose())
           │             -> Downloader (locations, failover, Range resume) -> decrypt -> queue
           ├─ Presenter  per track: decode off the loop (busy on the clock) -> wait for the
           │             frame's time on the clock -> decisions.skip_frame / is_late -> sink
           └─ Monitor    decisions.ready / dry_tracks -> state machine, stall events
      PeriodSequencer (periods.py): a Period's indexes before it plays, the next one staged
      while this one plays, the swap at the boundary, a live MPD update's Periods

Every wait is on the injected :class:`~nrdp.clock.Clock` (``sleep``, ``wait_event``) and
every wait on outside work (download, decrypt, decode) is marked ``busy``, so the whole
engine runs on :class:`nrdp.testing.VirtualClock` in tests. Periods play back to back: the
next Period's SegmentBase indexes are fetched while the current one plays, its tracks
start when the current one's presenters finish; in real time the presentation clock holds
until its first segments are in, so a boundary is never counted as a stall. A seek, a
stop or a fatal error cancels the whole group: downloads in flight are cancelled, nothing
leaks, and a seek starts a new epoch.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable, Callable
from typing import Any

from abr.base import AbrAlgorithm
from abr.types import Decision, Phase, ThroughputSample
from drm import KeyStore
from manifest.model import Representation
from mediacore.errors import SdkError
from nrdp.clock import Clock
from nrdp.config import PlayerConfig
from nrdp.delivery.downloader import Downloader
from nrdp.events import ErrorEvent, Event, FramesRendered, RebufferEnded, StateChanged
from nrdp.media.pipeline import MediaPipeline
from nrdp.media.sinks import Sink
from nrdp.scheduler.buffer import TrackKind
from nrdp.scheduler.fetcher import Fetcher
from nrdp.scheduler.live import LivePlayback
from nrdp.scheduler.master import MasterClock, MasterFollower
from nrdp.scheduler.monitor import TICK, Monitor
from nrdp.scheduler.periods import PeriodSequencer, runtimes_for
from nrdp.scheduler.presentation import PresentationClock
from nrdp.scheduler.presenter import AHEAD_FRAMES, PART_FRAMES, VERIFY_FRAMES, Presenter
from nrdp.scheduler.runtime import DecodeOptions, FrameCounter, TrackRuntime
from nrdp.scheduler.tracks import TrackChoice
from nrdp.state import PlayerEvent, PlayerState, PlayerStateMachine
from nrdp.timeline import PeriodPlan, next_period, period_at

__all__ = [
    "AHEAD_FRAMES",
    "PART_FRAMES",
    "TICK",
    "VERIFY_FRAMES",
    "PlaybackEngine",
    "PresentationClock",
    "TrackRuntime",
]

MAX_SAMPLES = 20

Locate = Callable[[Representation, str], str]
PreparePeriod = Callable[[PeriodPlan], Awaitable[PeriodPlan]]


def _as_is(rep: Representation, path: str) -> str:
    return path


class PlaybackEngine:
    """Drives one presentation's playback; the :class:`~nrdp.player.Player` is its facade."""

    def __init__(
        self,
        *,
        tracks: tuple[TrackChoice, ...] = (),
        periods: tuple[PeriodPlan, ...] = (),
        downloader: Downloader,
        pipeline: MediaPipeline,
        abr: AbrAlgorithm,
        sink: Sink,
        config: PlayerConfig,
        clock: Clock,
        emit: Callable[[Event], None],
        duration: float | None = None,
        content_id: str | None = None,
        session_id: str | None = None,
        locate: Locate = _as_is,
        prepare: PreparePeriod | None = None,
    ) -> None:
        self.periods = periods or (PeriodPlan(0, None, 0.0, duration, tracks),)
        self.period_index = 0
        self.tracks = runtimes_for(self.periods[0])
        self.downloader = downloader
        self.pipeline = pipeline
        self.abr = abr
        self.sink = sink
        self.config = config
        self.clock = clock
        self.emit = emit
        self.duration = duration
        self.content_id = content_id
        self.session_id = session_id
        self.locate = locate  # a segment path -> the path every location serves
        self.prepare = prepare  # completes a Period before it plays (SegmentBase sidx)
        self.decode_options = DecodeOptions.for_sink(sink, decode=config.decode)
        self.state = PlayerStateMachine(play_intent=config.autoplay)
        self.pclock = PresentationClock(clock)
        self.master: MasterFollower | None = None  # set_master_clock's follower
        self.samples: collections.deque[ThroughputSample] = collections.deque(maxlen=MAX_SAMPLES)
        self.last_decision: Decision | None = None
        self.quality_cap: int | None = None
        self.fixed_rung: int | None = None
        self.floor = 0.0
        self.first_frame_at: float | None = None
        self.verified_kids: set[bytes] = set()
        self.phase = Phase.STARTUP
        self.wake = asyncio.Event()
        self.state_changed = asyncio.Event()
        self.arrived = asyncio.Event()
        self.stall_started: float | None = None
        self.holding = False  # real time, a Period boundary: the clock waits for media
        self.first_picture_pending = False  # real time: the clock waits for it (sync_clock)
        self.periods_played = 0
        self.frames = FrameCounter()
        self.need_keys: Callable[[frozenset[bytes]], Awaitable[KeyStore]] | None = None
        """Gets keys for KIDs an init names that the license did not cover (renewing the
        playback token first when it is about to expire); set by the Player."""
        self.error: SdkError | None = None
        self.staged: tuple[int, list[TrackRuntime]] | None = None
        """The next Period's tracks, their first segments fetched ahead of the boundary."""
        self.live: LivePlayback | None = None  # a dynamic MPD's availability and 404s
        self.sequencer = PeriodSequencer(self)

    # ------------------------------------------------------------------ state

    def process(self, event: PlayerEvent) -> None:
        tr = self.state.process(event, self.clock.now())
        if tr.changed:
            self.emit(StateChanged.from_transition(tr))
        self.sync_clock()
        self.state_changed.set()
        self.wake.set()

    def sync_clock(self) -> None:
        """The presentation clock runs while playing in real time, except when held at a
        Period boundary or, after a start or seek, until the first picture is decoded (a
        renderer is ready only with its first frame): a slow first decode (key check, a
        busy machine) never makes that picture late."""
        playing = self.state.state is PlayerState.PLAYING
        waiting = self.holding or self.first_picture_pending
        if self.config.realtime and playing and not waiting:
            self.pclock.start()
        else:
            self.pclock.stop()

    def picture_ready(self) -> None:
        """The video presenter has its first picture of the epoch (or has none to show)."""
        if self.first_picture_pending:
            self.first_picture_pending = False
            self.sync_clock()

    def release_hold(self) -> None:
        """The next Period's media is in: the presentation clock runs again."""
        self.holding = False
        self.sync_clock()

    @property
    def position(self) -> float:
        if self.config.realtime:
            return max(self.floor, self.pclock.position())
        ends = [t.presented_to if t.presented_to is not None else self.floor for t in self.tracks]
        return max(self.floor, min(ends, default=self.floor))

    @property
    def period(self) -> PeriodPlan:
        return self.periods[self.period_index]

    @property
    def period_end(self) -> float | None:
        end = self.period.end
        return end if end is not None else self.duration

    @property
    def stalled(self) -> bool:
        return self.stall_started is not None

    @property
    def frames_presented(self) -> int:
        return self.frames.totals(self.tracks)[0]

    @property
    def frames_dropped(self) -> int:
        return self.frames.totals(self.tracks)[1]

    def set_master_clock(self, clock: MasterClock | None) -> None:
        """Pace video against ``clock`` (real time only), or the presentation clock again."""
        self.master = None if clock is None else MasterFollower(clock)
        if self.master is not None:
            self.master.reset(self.pclock.position())

    def video_clock(self) -> float:
        """Media time video is paced against: the master clock's, else the presentation's."""
        if self.master is None:
            return self.pclock.position()
        return self.master.position(self.pclock.position())

    def track(self, kind: TrackKind) -> TrackRuntime:
        return next(t for t in self.tracks if t.kind is kind)

    def init_key(self, rep: Representation) -> str:
        """The pipeline's cache key of ``rep``'s init (ids may repeat across Periods)."""
        return f"{self.period.key}/{rep.id}" if self.period_index else str(rep.id)

    def keys(self) -> KeyStore:
        return self.pipeline.keys

    # ------------------------------------------------------------------ epoch

    def reset_for(self, position: float) -> None:
        """Flush everything for a new epoch at ``position`` (start or seek)."""
        self.floor = position
        self.pclock.set(position)
        self.holding = False
        self.first_picture_pending = self.config.realtime and any(
            t.kind is TrackKind.VIDEO for t in self.tracks
        )
        self.staged = None
        if self.master is not None:
            self.master.reset(position)
        if self.stall_started is not None:  # a seek ends a stall: close it for the stats
            now = self.clock.now()
            self.emit(RebufferEnded(at=now, position=position, duration=now - self.stall_started))
            self.stall_started = None
        index = period_at(self.periods, position)
        if index != self.period_index:
            self.sequencer.leave(index)
        for t in self.tracks:
            t.flush()
        self.abr.reset()
        self.last_decision = None
        self.phase = Phase.AFTER_SEEK if position > 0 else Phase.STARTUP

    async def run(self) -> None:
        """One epoch: the Periods from the playhead to the end; raises the first fatal
        error (after emitting it and moving the state machine to ERROR)."""
        try:
            while True:
                if self.prepare is not None:
                    await self.sequencer.prepare_current()
                await self._run_period()
                self.periods_played += 1
                following = next_period(self.periods, self.period_index)
                if following is None:
                    break
                self.sequencer.enter(following)
        except BaseExceptionGroup as group:
            self._fail(_first_sdk_error(group), group)
        except SdkError as err:
            self._fail(err, None)
        self.sink.on_end()
        self.report_frames()
        if self.state.can(PlayerEvent.END_OF_STREAM):
            self.process(PlayerEvent.END_OF_STREAM)

    def _fail(self, err: SdkError | None, group: BaseExceptionGroup[Any] | None) -> None:
        if err is None:
            assert group is not None
            raise group
        self.error = err
        self.emit(ErrorEvent.from_error(err, at=self.clock.now(), fatal=True))
        if self.state.can(PlayerEvent.FAIL):
            self.process(PlayerEvent.FAIL)
        raise err from None

    def update_periods(self, periods: tuple[PeriodPlan, ...]) -> None:
        """A live MPD update (see :meth:`PeriodSequencer.update`)."""
        self.sequencer.update(periods)

    async def _run_period(self) -> None:
        async with asyncio.TaskGroup() as tg:
            fetch = Fetcher(self, tg)
            fetcher = tg.create_task(fetch.run(), name="nrdp-fetch")
            presenters = [
                tg.create_task(Presenter(self, t, tg).run(), name=f"nrdp-present-{t.kind.value}")
                for t in self.tracks
            ]
            monitor = tg.create_task(Monitor(self).run(), name="nrdp-monitor")
            ahead = tg.create_task(self.sequencer.prepare_ahead(fetch), name="nrdp-prepare-next")
            await asyncio.gather(*presenters)
            monitor.cancel()
            fetcher.cancel()
            if not ahead.done():  # the next Period's tracks are fetched by its own fetcher
                ahead.cancel()
                self.staged = None

    # ------------------------------------------------------------------ tracks

    def switch_track(self, kind: TrackKind, choice: TrackChoice) -> None:
        """Play ``choice`` as the ``kind`` track from the playhead on (an audio language
        switch; see :meth:`TrackRuntime.switch_to`); the other tracks are not touched."""
        self.track(kind).switch_to(choice, self.floor)
        self.wake.set()

    def report_frames(self) -> None:
        delta = self.frames.unreported(self.tracks)
        if delta is not None:
            shown, dropped = delta
            decoded = shown + dropped if self.config.decode else 0
            now = self.clock.now()
            self.emit(FramesRendered(at=now, decoded=decoded, dropped=dropped, presented=shown))


def _first_sdk_error(group: BaseExceptionGroup[BaseException]) -> SdkError | None:
    for exc in group.exceptions:
        if isinstance(exc, SdkError):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            inner = _first_sdk_error(exc)
            if inner is not None:
                return inner
    return None
