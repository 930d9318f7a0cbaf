"""The playback engine: the async driver around the pure planner, ABR, buffers and policies.

Theory of operation. One :meth:`PlaybackEngine.run` is one *epoch* of playback from a
position (start or seek) and is a :class:`asyncio.TaskGroup` of:

- the fetcher: asks :func:`~nrdp.scheduler.planner.plan` what to fetch next (buffer goal,
  ``paused_target`` while paused, so it prefetches while paused), asks the ABR algorithm —
  the very object ``abr.registry.create`` builds for the simulator — for the video rung,
  downloads through the :class:`~nrdp.delivery.downloader.Downloader` (OCA failover, range
  resume), decrypts off the loop and queues the clear segment;
- one presenter per track: decodes queued segments off the loop, just ahead of presentation
  (video streamed in parts, the first frame alone, with at most ``AHEAD_FRAMES`` pictures of
  a segment decoded and not yet presented, and the next segment already decoding its first
  ones; audio one whole segment ahead), so memory holds compressed media and a bounded
  number of pictures, and hands each frame to the sink when the presentation clock reaches
  its timestamp, or at once when the player runs as fast as possible; with an external
  master clock (:meth:`PlaybackEngine.set_master_clock`, the audio device's clock) video is
  paced against that instead, falling back to the presentation clock when it is missing or
  stalled (:class:`~nrdp.scheduler.master.MasterFollower`); audio always goes to the sink on
  the presentation clock (the device needs it ahead of time);
- the monitor: stalls (a track's buffer ran dry while playing), recovery, end of stream.

A seek, a stop or a fatal error cancels the whole group: downloads in flight are cancelled
(their OCA probe slots freed), nothing leaks, and a seek starts a new epoch. A download that
turns out far too slow for its rung (:class:`~nrdp.errors.ThroughputTooLow`) with no other
OCA to go to is abandoned: that rung is excluded for ``track_exclusion`` seconds and the same
segment is fetched again at a lower rung.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from abr.base import AbrAlgorithm
from abr.types import Decision, Observation, Phase, ThroughputSample, clamp_rung
from drm import KeyStore
from manifest.model import Representation
from mediacore.errors import SdkError
from nrdp.clock import Clock, busy, wait_event
from nrdp.cmcd import CmcdData, ObjectType, StreamingFormat, StreamType, apply
from nrdp.config import PlayerConfig
from nrdp.delivery.downloader import Downloader, DownloadResult, UrlDecorator
from nrdp.delivery.resume import ByteRange
from nrdp.errors import DemuxFailed, ThroughputTooLow
from nrdp.events import (
    BandwidthEstimated,
    BufferLevel,
    ErrorEvent,
    Event,
    FramesRendered,
    QualityChanged,
    RebufferEnded,
    RebufferStarted,
    SegmentDownloaded,
    StateChanged,
    SwitchReason,
)
from nrdp.media.pipeline import ClearInit, FrameStream, MediaPipeline
from nrdp.media.samples import SampleTime, segment_samples
from nrdp.media.sinks import Sink
from nrdp.scheduler.buffer import TrackBuffer, TrackKind
from nrdp.scheduler.master import MasterClock, MasterFollower
from nrdp.scheduler.planner import SegmentRequest, TrackCursor, plan
from nrdp.scheduler.presentation import PresentationClock
from nrdp.scheduler.tracks import TrackChoice
from nrdp.state import PlayerEvent, PlayerState, PlayerStateMachine

__all__ = ["PlaybackEngine", "PresentationClock", "TrackRuntime"]

MAX_SAMPLES = 20
TICK = 0.02
PART_FRAMES = 8
"""Video frames handed from the decoder to the presenter at a time (after the first alone)."""
AHEAD_FRAMES = 16
"""Video pictures of one segment decoded and not yet presented, at most (the segment being
presented and the next one each hold up to this many: ~100 MB at 1080p)."""
VERIFY_FRAMES = AHEAD_FRAMES
"""Video frames decoded before the first one is shown when a content key is used for the
first time. CENC has no key check: a wrong key shows up only as decoder errors a few
pictures in (the decoders run with ``err_detect=explode``), after the first garbage picture
may already have decoded without complaint, so those pictures must not reach the sink first.
Once a key decoded that many frames cleanly its segments stream from the first frame."""


@dataclass
class _Queued:
    number: int
    start: float
    duration: float
    init: ClearInit
    data: bytes
    generation: int = 0


@dataclass
class TrackRuntime:
    """Mutable per-track state of the engine (buffer model, queue, rung)."""

    choice: TrackChoice
    buffer: TrackBuffer
    next_number: int | None = None
    in_flight: bool = False
    rung: int | None = None
    queue: collections.deque[_Queued] = field(default_factory=collections.deque)
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


class PlaybackEngine:
    """Drives one title's playback; the :class:`~nrdp.player.Player` is its facade."""

    def __init__(
        self,
        *,
        tracks: tuple[TrackChoice, ...],
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
    ) -> None:
        self.tracks = [TrackRuntime(c, TrackBuffer(c.kind)) for c in tracks]
        self.downloader = downloader
        self.pipeline = pipeline
        self.abr = abr
        self.sink = sink
        self.config = config
        self.clock = clock
        self._emit = emit
        self.duration = duration
        self.content_id = content_id
        self.session_id = session_id
        self.state = PlayerStateMachine(play_intent=config.autoplay)
        self.pclock = PresentationClock(clock)
        self.master: MasterFollower | None = None
        """Video's pacing against the app's master clock (``set_master_clock``), if set."""
        self.samples: collections.deque[ThroughputSample] = collections.deque(maxlen=MAX_SAMPLES)
        self.last_decision: Decision | None = None
        self.quality_cap: int | None = None
        self.fixed_rung: int | None = None
        self.floor = 0.0
        self.first_frame_at: float | None = None
        self._verified_kids: set[bytes] = set()
        self._phase = Phase.STARTUP
        self._wake = asyncio.Event()
        self._state_changed = asyncio.Event()
        self._arrived = asyncio.Event()
        self._stall_started: float | None = None
        self._frames_reported = 0
        self._drops_reported = 0
        self.need_keys: Callable[[frozenset[bytes]], Awaitable[KeyStore]] | None = None
        """Gets keys for KIDs an init names that the license did not cover (renewing the
        playback token first when it is about to expire); set by the Player."""
        self.error: SdkError | None = None

    # ------------------------------------------------------------------ state

    def process(self, event: PlayerEvent) -> None:
        tr = self.state.process(event, self.clock.now())
        if tr.changed:
            self._emit(StateChanged.from_transition(tr))
        self._sync_clock()
        self._state_changed.set()
        self._wake.set()

    def _sync_clock(self) -> None:
        if self.config.realtime and self.state.state is PlayerState.PLAYING:
            self.pclock.start()
        else:
            self.pclock.stop()

    @property
    def position(self) -> float:
        if self.config.realtime:
            return max(self.floor, self.pclock.position())
        ends = [t.presented_to if t.presented_to is not None else self.floor for t in self.tracks]
        return max(self.floor, min(ends, default=self.floor))

    @property
    def frames_presented(self) -> int:
        return sum(t.presented for t in self.tracks if t.kind is TrackKind.VIDEO)

    @property
    def frames_dropped(self) -> int:
        return sum(t.dropped for t in self.tracks if t.kind is TrackKind.VIDEO)

    def set_master_clock(self, clock: MasterClock | None) -> None:
        """Pace video against ``clock`` (real time only), or the presentation clock again."""
        self.master = None if clock is None else MasterFollower(clock)
        if self.master is not None:
            self.master.reset(self.pclock.position())

    # ------------------------------------------------------------------ epoch

    def reset_for(self, position: float) -> None:
        """Flush everything for a new epoch at ``position`` (start or seek)."""
        self.floor = position
        self.pclock.set(position)
        if self.master is not None:
            self.master.reset(position)
        if self._stall_started is not None:  # a seek ends a stall: close it for the stats
            now = self.clock.now()
            self._emit(RebufferEnded(at=now, position=position, duration=now - self._stall_started))
            self._stall_started = None
        for t in self.tracks:
            t.buffer.flush()
            t.queue.clear()
            t.next_number = None
            t.in_flight = False
            t.presented_to = None
            t.skip_before = 0.0
            t.switching = False
            t.done = False
        self.abr.reset()
        self.last_decision = None
        self._phase = Phase.AFTER_SEEK if position > 0 else Phase.STARTUP

    async def run(self) -> None:
        """One epoch; returns at end of stream, raises the first fatal error."""
        try:
            async with asyncio.TaskGroup() as tg:
                fetcher = tg.create_task(self._fetcher(tg), name="nrdp-fetch")
                presenters = [
                    tg.create_task(self._present(tg, t), name=f"nrdp-present-{t.kind.value}")
                    for t in self.tracks
                ]
                monitor = tg.create_task(self._monitor(), name="nrdp-monitor")
                await asyncio.gather(*presenters)
                monitor.cancel()
                fetcher.cancel()
        except BaseExceptionGroup as group:
            err = _first_sdk_error(group)
            if err is None:
                raise
            self.error = err
            self._emit(ErrorEvent.from_error(err, at=self.clock.now(), fatal=True))
            if self.state.can(PlayerEvent.FAIL):
                self.process(PlayerEvent.FAIL)
            raise err from None
        self.sink.on_end()
        self._report_frames()
        if self.state.can(PlayerEvent.END_OF_STREAM):
            self.process(PlayerEvent.END_OF_STREAM)

    # ------------------------------------------------------------------ fetching

    async def _fetcher(self, tg: asyncio.TaskGroup) -> None:
        while True:
            now = self.clock.now()
            cursors = [
                TrackCursor(
                    t.kind,
                    t.choice.representations[t.rung or 0].index(),
                    t.buffer,
                    t.next_number,
                    t.in_flight,
                )
                for t in self.tracks
            ]
            paused = not self.state.play_intent
            p = plan(
                cursors,
                position=self.position,
                config=self.config.buffer,
                paused=paused,
                now=now,
                max_requests=len(self.tracks),
            )
            for kind in p.ended:
                track = self._track(kind)
                if not track.buffer.end_of_stream:
                    track.buffer.mark_end_of_stream()
                    self._wake.set()
                    self._arrived.set()
            for req in p.requests:
                track = self._track(req.kind)
                track.in_flight = True
                tg.create_task(
                    self._fetch(track, req, track.generation), name=f"nrdp-dl-{req.kind.value}"
                )
            # all tracks complete: idle until the presenters finish (a track switch may
            # still flush one and need fetching again); run() cancels the fetcher
            self._wake.clear()
            await wait_event(self.clock, self._wake, 0.25)

    def _track(self, kind: TrackKind) -> TrackRuntime:
        return next(t for t in self.tracks if t.kind is kind)

    def switch_track(self, kind: TrackKind, choice: TrackChoice) -> None:
        """Play ``choice`` as the ``kind`` track from the playhead on (an audio language
        switch). What was buffered ahead of the playhead is dropped and fetched again from
        the new track, starting with the segment that holds the playhead; what was already
        presented is not presented again; the other tracks are not touched."""
        track = self._track(kind)
        track.choice = choice
        track.generation += 1
        track.rung = None
        track.excluded.clear()
        if track.done:  # nothing of this track is left to play in this epoch
            return
        track.queue.clear()
        presented = track.presented_to if track.presented_to is not None else self.floor
        track.skip_before = max(track.skip_before, presented)
        track.buffer.flush()
        track.next_number = None
        track.switching = True
        self._wake.set()

    def _choose(self, track: TrackRuntime, req: SegmentRequest) -> int:
        n = len(track.choice.representations)
        if track.kind is not TrackKind.VIDEO or n == 1:
            return 0
        now = self.clock.now()
        allowed = n - 1 if self.quality_cap is None else clamp_rung(self.quality_cap, range(n))
        for rung, until in list(track.excluded.items()):
            if until <= now:
                del track.excluded[rung]
        if self.fixed_rung is not None:
            rung = min(clamp_rung(self.fixed_rung, range(n)), allowed)
            while rung > 0 and rung in track.excluded:
                rung -= 1
            return rung
        index = track.choice.representations[0].index()
        try:
            left: int | None = len(index) - req.number + 1
        except (TypeError, SdkError):  # open-ended (live) index: unknown
            left = None
        obs = Observation(
            now=now,
            buffer_s=req.buffered_ahead,
            phase=self._phase,
            ladder=track.choice.ladder(),
            segment_index=max(0, req.number - 1),
            segments_left=left,
            samples=tuple(self.samples),
            last_decision=self.last_decision,
            buffer_cap_s=self.config.buffer.target,
        )
        decision = self.abr.choose(obs)
        self.last_decision = decision
        rung = min(clamp_rung(decision.rung, range(n)), allowed)
        while rung > 0 and rung in track.excluded:
            rung -= 1
        return rung

    def _cmcd(
        self, track: TrackRuntime, rep: Representation, req: SegmentRequest, kind: ObjectType
    ) -> UrlDecorator | None:
        cfg = self.config.cmcd
        if not cfg.enabled:
            return None
        mtp = self.samples[-1].kbps if self.samples else None
        top = max(int((r.bandwidth or 0) / 1000) for r in track.choice.representations)
        data = CmcdData(
            encoded_bitrate_kbps=int((rep.bandwidth or 0) / 1000) or None,
            buffer_length_ms=req.buffered_ahead * 1000.0,
            buffer_starvation=self._stall_started is not None,
            content_id=cfg.content_id or self.content_id,
            object_duration_ms=req.duration * 1000.0,
            measured_throughput_kbps=mtp,
            object_type=kind,
            streaming_format=StreamingFormat.DASH,
            session_id=self.session_id,
            stream_type=StreamType.VOD,
            startup=self._phase is Phase.STARTUP,
            top_bitrate_kbps=top or None,
        )
        keys = cfg.keys
        mode = cfg.mode

        def decorate(url: str) -> tuple[str, dict[str, str]]:
            return apply(url, data, mode=mode, keys=keys)

        return decorate

    async def _fetch(
        self, track: TrackRuntime, req: SegmentRequest, generation: int | None = None
    ) -> None:
        """Download, decrypt and queue ``req``; ``generation`` is the track's when planned
        (a request planned on a track switched away from since then is dropped)."""
        if generation is None:
            generation = track.generation
        try:
            if track.generation != generation:
                return
            rung = self._choose(track, req)
            rep = track.rep(rung)
            init = await self._init_for(rep)
            ref = rep.index().by_number(req.number)
            rng = ByteRange(ref.byte_range.first, ref.byte_range.last) if ref.byte_range else None
            otype = ObjectType.VIDEO if track.kind is TrackKind.VIDEO else ObjectType.AUDIO
            need = float(rep.bandwidth) if rung > 0 and rep.bandwidth else None
            try:
                with busy(self.clock):
                    res = await self.downloader.fetch(
                        ref.path,
                        rng,
                        required_bps=need,
                        decorate=self._cmcd(track, rep, req, otype),
                        lower_tracks=rung,
                    )
            except ThroughputTooLow:
                track.excluded[rung] = self.clock.now() + self.config.load_error.track_exclusion
                return  # the planner asks for the same segment again; _choose goes lower
            with busy(self.clock):
                clear = await self.pipeline.decrypt(init, res.data)
            if track.generation != generation:
                return  # the track was switched meanwhile: this segment is not wanted
            self._accept(track, rung, rep, ref.number, ref.start, ref.duration, init, clear, res)
        finally:
            track.in_flight = False
            self._wake.set()

    async def _init_for(self, rep: Representation) -> ClearInit:
        cached = self.pipeline.cached_init(str(rep.id))
        if cached is not None:
            return cached
        ref = rep.init_segment()
        if ref is None:
            raise_no_init(rep)
        assert ref is not None
        rng = ByteRange(ref.byte_range.first, ref.byte_range.last) if ref.byte_range else None
        with busy(self.clock):
            res = await self.downloader.fetch(ref.path, rng)
            init = await self.pipeline.prepare_init(str(rep.id), res.data)
        missing = frozenset(k for k in init.kids if k not in self.pipeline.keys)
        if missing and self.need_keys is not None:
            with busy(self.clock):
                self.pipeline.keys.update(await self.need_keys(missing))
        return init

    def _accept(
        self,
        track: TrackRuntime,
        rung: int,
        rep: Representation,
        number: int,
        start: float,
        duration: float,
        init: ClearInit,
        clear: bytes,
        res: DownloadResult,
    ) -> None:
        now = self.clock.now()
        track.queue.append(_Queued(number, start, duration, init, clear, track.generation))
        track.switching = False
        track.buffer.append(start, duration)
        self._arrived.set()
        track.next_number = number + 1
        self.samples.append(res.sample)
        bitrate = int(rep.bandwidth or 0)
        if track.rung != rung:
            old = track.rep(track.rung).bandwidth if track.rung is not None else None
            reason = SwitchReason.INITIAL if track.rung is None else SwitchReason.ABR
            if self.fixed_rung is not None and track.rung is not None:
                reason = SwitchReason.MANUAL
            self._emit(
                QualityChanged(
                    at=now,
                    track=track.kind,
                    old_bitrate=old,
                    new_bitrate=bitrate,
                    rung=rung,
                    reason=reason,
                )
            )
            track.rung = rung
        self._emit(
            SegmentDownloaded(
                at=now,
                track=track.kind,
                number=number,
                size=res.size,
                seconds=res.ttfb_s + res.transfer_s,
                ttfb=res.ttfb_s,
                oca=res.oca_id,
                rung=rung,
                bitrate=bitrate,
                representation=None if rep.id is None else str(rep.id),
            )
        )
        if res.sample.duration_s > 0:
            self._emit(BandwidthEstimated(at=now, bps=res.sample.kbps * 1000.0))
        self._emit(BufferLevel(at=now, track=track.kind, ahead=track.buffer.ahead(self.position)))

    # ------------------------------------------------------------------ presenting

    async def _next_item(self, track: TrackRuntime) -> _Queued | None:
        """The next downloaded segment of ``track``, or ``None`` at its end of stream."""
        while not track.queue:
            if track.buffer.end_of_stream:
                return None
            self._arrived.clear()
            await wait_event(self.clock, self._arrived, 0.05)
        return track.queue.popleft()

    def _open(self, tg: asyncio.TaskGroup, track: TrackRuntime, item: _Queued) -> _Source:
        """Start decoding ``item``: video streamed in parts with a bounded number of
        pictures ahead, audio as a whole segment, sample slots when decoding is off."""
        if item.generation != track.generation:
            return _Source(item)  # queued before a track switch: never presented
        if not self.config.decode:  # load tests: sample slots from the trun, no PyAV
            return _Source(
                item, task=tg.create_task(_slots(track.kind.value, item), name="nrdp-slots")
            )
        pixels = bool(getattr(self.sink, "wants_pixels", False))
        digests = bool(getattr(self.sink, "wants_digests", False))
        chroma = bool(getattr(self.sink, "wants_chroma", False))
        if track.kind is TrackKind.VIDEO:
            kids = set(item.init.kids)
            stream = self.pipeline.stream(
                item.init,
                item.data,
                kind=track.kind.value,
                number=item.number,
                pixels=pixels,
                digests=digests,
                chroma=chroma,
                first=1 if kids <= self._verified_kids else VERIFY_FRAMES,
                chunk=PART_FRAMES,
                ahead=AHEAD_FRAMES,
            )
            return _Source(item, stream=stream)
        task = tg.create_task(
            self.pipeline.decode(
                item.init,
                item.data,
                kind=track.kind.value,
                number=item.number,
                pixels=pixels,
                digests=digests,
                chroma=chroma,
            ),
            name=f"nrdp-decode-{track.kind.value}",
        )
        return _Source(item, task=task)

    async def _present(self, tg: asyncio.TaskGroup, track: TrackRuntime) -> None:
        """Present the queued segments in order, each frame at its time. Video comes out of
        the decoder in parts (the first frame alone) with at most ``AHEAD_FRAMES`` pictures
        decoded and not yet presented per segment; once a segment's first part is in, the
        next queued segment starts decoding too, so that its first frames are ready when
        its time comes (no stutter at segment boundaries)."""
        source: _Source | None = None
        try:
            item = await self._next_item(track)
            source = self._open(tg, track, item) if item is not None else None
            while source is not None:
                await self._present_segment(tg, track, source)
                source = source.next
                if source is None:
                    item = await self._next_item(track)
                    source = self._open(tg, track, item) if item is not None else None
        finally:  # cancelled (seek, stop, error): stop the decoders, leave no worker behind
            if source is not None:
                try:
                    await source.close()
                finally:
                    if source.next is not None:
                        await source.next.close()
        track.done = True

    async def _present_segment(
        self, tg: asyncio.TaskGroup, track: TrackRuntime, source: _Source
    ) -> None:
        current = source.item
        try:
            while current.generation == track.generation:
                with busy(self.clock):
                    frames = await source.frames(track.kind)
                if frames is None:
                    break
                if track.kind is TrackKind.VIDEO:
                    self._verified_kids.update(current.init.kids)  # decoded cleanly so far
                if not await self._present_frames(tg, track, source, frames):
                    break  # switched while waiting for a frame's time
                del frames  # its pictures are not kept alive while the next part decodes
        finally:
            await source.close()
        if current.generation == track.generation:
            track.presented_to = max(track.presented_to or 0.0, current.start + current.duration)
        self._wake.set()

    async def _present_frames(
        self, tg: asyncio.TaskGroup, track: TrackRuntime, source: _Source, frames: list[Any]
    ) -> bool:
        """Present ``frames`` of ``source`` in order; ``False`` once its track was switched.
        The next segment starts decoding as soon as it is queued."""
        current = source.item
        for frame in frames:
            if source.next is None and track.queue:  # decode the next segment ahead
                source.next = self._open(tg, track, track.queue.popleft())
            if frame.pts + frame.duration <= self.floor + 1e-6:
                continue  # before the seek target
            if frame.pts + frame.duration / 2 <= track.skip_before:
                continue  # presented from the track used before a switch
            await self._until(frame.pts, video=track.kind is TrackKind.VIDEO)
            if current.generation != track.generation:
                return False
            track.presented_to = frame.pts + frame.duration
            if track.kind is TrackKind.VIDEO:
                if self._late(frame):
                    track.dropped += 1  # a renderer skips a picture it is too late for
                    continue
                if not isinstance(frame, SampleTime) and self.sink.on_video(frame) is False:
                    track.dropped += 1  # the sink reported it could not show it
                    continue
                if self.first_frame_at is None:
                    self.first_frame_at = self.clock.now()
            elif not isinstance(frame, SampleTime):
                self.sink.on_audio(frame)
            track.presented += 1
        return True

    def _late(self, frame: Any) -> bool:
        """Real time only: past its slot by more than one frame duration (decode or sink
        too slow), so showing it would only delay the frames after it."""
        if not self.config.realtime:
            return False
        return bool(self._video_clock() - frame.pts > max(frame.duration, 1e-3))

    def _video_clock(self) -> float:
        """Media time video is paced against: the master clock's, else the presentation's."""
        if self.master is None:
            return self.pclock.position()
        return self.master.position(self.pclock.position())

    async def _until(self, pts: float, *, video: bool = False) -> None:
        """Wait until a frame at ``pts`` may be shown (playing, and its time has come on
        the presentation clock, or for ``video`` on the master clock if there is one)."""
        while True:
            playing = self.state.state is PlayerState.PLAYING
            if playing and not self.config.realtime:
                return
            if playing:
                ahead = pts - (self._video_clock() if video else self.pclock.position())
                if ahead <= 0:
                    return
                await self.clock.sleep(min(ahead, 0.05))
            else:
                await self._wait(0.05)

    async def _wait(self, timeout: float) -> None:
        self._state_changed.clear()
        await wait_event(self.clock, self._state_changed, timeout)

    # ------------------------------------------------------------------ monitor

    def _ready(self) -> bool:
        pos = self.position
        need = (
            self.config.buffer.start
            if self._stall_started is None
            else (self.config.buffer.rebuffer)
        )
        if not self.config.realtime:
            need = min(need, 1e-3)
        for t in self.tracks:
            if t.buffer.end_of_stream:
                continue
            if t.buffer.ahead(pos) < need and not self._tail(t, pos, need):
                return False
        return True

    def _tail(self, t: TrackRuntime, pos: float, need: float) -> bool:
        """Near the end there may be less than ``need`` left to buffer at all."""
        if self.duration is None:
            return False
        end = t.buffer.buffered_end(pos)
        return end is not None and end >= self.duration - 0.1

    async def _monitor(self) -> None:
        last_report = self.clock.now()
        while True:
            s = self.state.state
            now = self.clock.now()
            pos = self.position
            if s is PlayerState.BUFFERING and self._ready():
                if self._stall_started is not None:
                    self._emit(
                        RebufferEnded(at=now, position=pos, duration=now - self._stall_started)
                    )
                    self._stall_started = None
                self.process(PlayerEvent.BUFFER_READY)
                if self.state.state is PlayerState.PLAYING:
                    self._phase = Phase.STEADY
            elif s is PlayerState.PLAYING and self.config.realtime:
                dry = [
                    t
                    for t in self.tracks
                    if not t.buffer.end_of_stream
                    and not t.switching
                    and t.buffer.ahead(pos) <= 0.02
                ]
                if dry:
                    self._stall_started = now
                    self._phase = Phase.REBUFFERING
                    self._emit(RebufferStarted(at=now, position=pos))
                    self.process(PlayerEvent.BUFFER_EMPTY)
            if now - last_report >= 0.5:
                self._report_frames()
                last_report = now
            if self.state.state is PlayerState.BUFFERING:
                self._arrived.clear()
                await wait_event(self.clock, self._arrived, TICK)
            else:
                await self.clock.sleep(TICK)

    def _report_frames(self) -> None:
        total, drops = self.frames_presented, self.frames_dropped
        if total > self._frames_reported or drops > self._drops_reported:
            shown, dropped = total - self._frames_reported, drops - self._drops_reported
            decoded = shown + dropped if self.config.decode else 0
            self._emit(
                FramesRendered(
                    at=self.clock.now(), decoded=decoded, dropped=dropped, presented=shown
                )
            )
            self._frames_reported, self._drops_reported = total, drops

    @property
    def stalled(self) -> bool:
        return self._stall_started is not None

    def keys(self) -> KeyStore:
        return self.pipeline.keys


class _Source:
    """One queued segment being decoded for the presenter, and the one queued after it once
    that one started decoding ahead (``next``)."""

    def __init__(
        self,
        item: _Queued,
        *,
        task: asyncio.Task[Any] | None = None,
        stream: FrameStream | None = None,
    ) -> None:
        self.item = item
        self.next: _Source | None = None
        self._task = task
        self._stream = stream

    async def frames(self, kind: TrackKind) -> list[Any] | None:
        """The next frames of this segment of a ``kind`` track in presentation order, or
        ``None`` after the last."""
        if self._stream is not None:
            part = await self._stream.next_part()
            if part is None:
                return None
            return list(part.video if kind is TrackKind.VIDEO else part.audio)
        if self._task is None:
            return None
        task, self._task = self._task, None
        decoded = await task
        if isinstance(decoded, list):  # sample slots (decode off)
            return decoded
        return list(decoded.video if kind is TrackKind.VIDEO else decoded.audio)

    async def close(self) -> None:
        """Stop decoding what was not taken; idempotent."""
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.aclose()
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()


async def _slots(kind: str, item: _Queued) -> list[SampleTime]:
    """The segment's sample slots from its boxes (``decode=False``): cheap, on the loop."""
    return segment_samples(item.init.data, item.data, kind=kind, number=item.number)


def raise_no_init(rep: Representation) -> None:
    raise DemuxFailed(track=str(rep.id), reason="representation has no init segment")


def _first_sdk_error(group: BaseExceptionGroup[BaseException]) -> SdkError | None:
    for exc in group.exceptions:
        if isinstance(exc, SdkError):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            inner = _first_sdk_error(exc)
            if inner is not None:
                return inner
    return None
