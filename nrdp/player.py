"""The public :class:`Player`: a thin facade over the engine, the clients and the policies.

``load`` runs the data-plane calls in order — Play API (signed), MPD from the best OCA
(through the same failover downloader as segments), track selection, license (before any
media segment is fetched, so a refusal costs no media traffic) — then starts a
:class:`~nrdp.scheduler.loop.PlaybackEngine` epoch in a background task. ``seek`` cancels the
epoch and starts a new one; ``stop`` cancels it, closes the media worker pool, writes the
bookmark (discovery channel, in the background) and sends the session summary (telemetry).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import abr.registry
from abr.base import AbrAlgorithm
from mediacore.errors import AbrError, SdkError
from nrdp.config import PlayerConfig
from nrdp.delivery.oca import OcaSelector
from nrdp.delivery.steering import SteeringManifest
from nrdp.delivery.steering_client import SteeringClient
from nrdp.errors import InvalidState
from nrdp.events import (
    ErrorEvent,
    Event,
    LicenseAcquired,
    OcaFailover,
    StateChanged,
    SteeringUpdated,
    TrackChanged,
)
from nrdp.hub import EventHub, Subscription
from nrdp.live.availability import NotFoundPolicy
from nrdp.live.timeline import LiveTimeline
from nrdp.media.pipeline import MediaPipeline
from nrdp.media.sinks import NullSink, Sink
from nrdp.playback.play_api import PlaybackManifest
from nrdp.playback.token import PlaybackSession
from nrdp.routes import Opened, new_session, open_dash, open_title, plan_periods
from nrdp.scheduler.buffer import TrackKind
from nrdp.scheduler.live import LivePlayback, wall_clock
from nrdp.scheduler.live_control import LiveControl, LiveHooks
from nrdp.scheduler.loop import PlaybackEngine
from nrdp.scheduler.master import MasterClock
from nrdp.scheduler.tracks import TextOption, TrackCatalog, TrackInfo
from nrdp.source import DashSource
from nrdp.state import PlayerEvent, PlayerState, PlayerStateMachine
from nrdp.stats import StatsCollector, StatsSnapshot
from nrdp.telemetry import SessionTelemetry
from nrdp.text.cue import TextCue
from nrdp.text.presenter import TextPresenter
from nrdp.thumbnails import Thumbnail, ThumbnailSource
from nrdp.timeline import period_at

if TYPE_CHECKING:
    from nrdp.device import Device

__all__ = ["LIVE_404_RETRIES", "Player"]

LIVE_404_RETRIES = 3
"""A live segment still 404 after retries at +0.5, +1 and +2 s past its availability (up to
3.5 s late) is skipped: a later retry would outlast the buffer a live target holds."""


class Player:
    """One playback at a time on a :class:`~nrdp.device.Device`; make it with
    ``device.player(sink=...)``."""

    def __init__(self, device: Device, sink: Sink | None, config: PlayerConfig) -> None:
        self._device = device
        self.sink: Sink = sink if sink is not None else NullSink()
        self.config = config
        self._hub = EventHub()
        self._stats = StatsCollector()
        self._idle = PlayerStateMachine(play_intent=config.autoplay)
        self._engine: PlaybackEngine | None = None
        self._task: asyncio.Task[None] | None = None
        self._pipeline: MediaPipeline | None = None
        self._telemetry: SessionTelemetry | None = None
        self.manifest: PlaybackManifest | None = None
        self.playback_session: PlaybackSession | None = None
        self.title_id: str | None = None
        self.source: str | DashSource | None = None
        self.loaded_at: float | None = None
        self._ended = asyncio.Event()
        self._load_error: SdkError | None = None
        self._catalog = TrackCatalog()
        self._audio_id: str | None = None
        self._text: TextPresenter | None = None
        self._steering: SteeringClient | None = None
        self._master: MasterClock | None = None
        self._thumbs: ThumbnailSource | None = None
        self._live: LiveControl | None = None
        self._live_task: asyncio.Task[None] | None = None
        self.wall: Callable[[], float] = time.time
        """The device's wall clock (POSIX seconds) for live playback; the live task runs it
        on the session clock from the value it has at load, and UTCTiming corrects it."""

    # ------------------------------------------------------------------ events

    def _emit(self, event: Event) -> None:
        self._stats.on_event(event)
        if self._telemetry is not None:
            self._telemetry.on_event(event)
        if isinstance(event, StateChanged) and event.new in (
            PlayerState.ENDED,
            PlayerState.ERROR,
            PlayerState.STOPPED,
        ):
            self._ended.set()
        self._hub.publish(event)

    def on_event(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback`` with every event (on the loop); returns an unsubscribe function."""
        return self._hub.add_callback(callback)

    def events(self, maxsize: int = 1000) -> Subscription:
        """``async for event in player.events(): ...`` (bounded; oldest dropped if slow)."""
        return self._hub.subscribe(maxsize)

    def stats(self) -> StatsSnapshot:
        return self._stats.snapshot(self._device.clock.now())

    @property
    def state(self) -> PlayerState:
        return self._engine.state.state if self._engine is not None else self._idle.state

    @property
    def position(self) -> float:
        return self._engine.position if self._engine is not None else 0.0

    @property
    def error(self) -> SdkError | None:
        """The error that ended the session, if one did."""
        return self._engine.error if self._engine is not None else self._load_error

    @property
    def engine(self) -> PlaybackEngine | None:
        """The running engine (for apps' debug overlays and tests)."""
        return self._engine

    # ------------------------------------------------------------------ lifecycle

    async def load(
        self,
        source: str | DashSource,
        start: float | None = None,
        *,
        profile_id: str | None = None,
        live_offset: float | None = None,
    ) -> None:
        """Prepare ``source`` and start buffering (and playing, with ``autoplay``).

        ``source`` is a title id (the Play API route) or a :class:`~nrdp.source.DashSource`
        (any MPD URL). Both open the same way: MPD, Periods and their tracks, keys for
        every KID the MPD names, then the engine; a bad source raises its typed error here,
        before any media segment is requested.

        A dynamic (live) MPD starts at the live edge (``PlayerConfig.live.target_latency``
        behind now, on the UTCTiming clock), or ``live_offset`` seconds into the DVR window
        (negative: back from the edge), or at ``start`` on the MPD timeline (clamped to the
        window); positions are then on the MPD timeline (seconds since
        availabilityStartTime). See docs/live.md."""
        await self.stop()
        clock = self._device.clock
        self._ended.clear()
        self._load_error = None
        self._stats = StatsCollector()
        self._idle = PlayerStateMachine(play_intent=self.config.autoplay)
        self._step(self._idle, PlayerEvent.LOAD)
        self.title_id = source if isinstance(source, str) else None
        self.source = source
        self.loaded_at = clock.now()
        try:
            opened = await self._open(source, profile_id)
            engine = self._make_engine(opened)
        except SdkError as err:
            self._load_error = err
            self._fail(err)
            raise
        self._thumbs = ThumbnailSource(
            opened.manifest,
            opened.downloader,
            opened.locate(),
            max_size=self.config.thumbnail_max_size,
        )
        engine.state = self._idle
        engine.need_keys = opened.need_keys
        engine.set_master_clock(self._master)
        if opened.live:
            start = await self._start_live(opened, engine, start, live_offset)
        engine.reset_for(start or 0.0)
        self._engine = engine
        catalog = opened.periods[0].catalog
        audio = catalog.preferred_audio(self.config.preferred_audio_language)
        self._start_tracks(engine, catalog, audio.info.id if audio is not None else None)
        engine.process(PlayerEvent.LOADED)
        self._task = asyncio.create_task(self._drive(engine), name="nrdp-player")
        if opened.playback is not None:
            self._start_steering(opened.playback, opened.selector)
        if self._live is not None:
            self._live_task = asyncio.create_task(self._live.run(), name="nrdp-live")

    async def _start_live(
        self,
        opened: Opened,
        engine: PlaybackEngine,
        start: float | None,
        offset: float | None,
    ) -> float:
        """The live task for a dynamic MPD, the clock synced; returns where to start."""
        dev, cfg = self._device, self.config.live
        tl = LiveTimeline(
            opened.manifest,
            latency=cfg.target_latency,
            margin_s=cfg.margin_s,
            max_rate_delta=cfg.max_rate_delta,
            not_found=NotFoundPolicy(max_retries=LIVE_404_RETRIES),
        )
        wall = wall_clock(dev.clock, self.wall)
        live = LivePlayback(tl, clock=dev.clock, wall=wall, emit=self._emit)
        engine.live = live
        max_height = opened.playback.max_height if opened.playback is not None else None
        hooks = LiveHooks(
            engine=lambda: self._engine,
            seek=self.seek,
            fetch_mpd=opened.fetch_mpd,
            replan=lambda m: plan_periods(dev, self.config, m, max_height),
            channel=dev.playback,
            rate_supported=bool(getattr(self.sink, "supports_playback_rate", False)),
        )
        self._live = LiveControl(live, hooks, cfg)
        await self._live.sync_clock()
        self._stats.live.live = True
        if start is not None:
            position = tl.seek(live.wall(), start)
        else:
            position = tl.start_position(live.wall(), dvr_offset=offset)
        return self._live_aligned(engine, position)

    @staticmethod
    def _live_aligned(engine: PlaybackEngine, position: float) -> float:
        """A live start or seek at the start of the video segment holding ``position``."""
        assert engine.live is not None
        index = period_at(engine.periods, position)
        video = [c for c in engine.periods[index].tracks if c.kind is TrackKind.VIDEO]
        if not video:
            return position
        return engine.live.segment_start(video[0].representations[0], position)

    async def _open(self, source: str | DashSource, profile_id: str | None) -> Opened:
        dev, clock = self._device, self._device.clock

        def failover(a: str, b: str | None, r: str) -> None:
            self._emit(OcaFailover(at=clock.now(), from_oca=a, to_oca=b, reason=r))

        if isinstance(source, DashSource):
            opened = await open_dash(dev, self.config, source, failover)
        else:
            session = new_session(dev, source, profile_id)
            self.playback_session = session
            opened = await open_title(dev, self.config, session, failover)
            self.manifest = opened.playback
            if self.config.telemetry and opened.playback is not None:
                pm = opened.playback
                self._telemetry = SessionTelemetry(
                    dev.telemetry, pm.playback_id, pm.experiment_cell
                )
                self._telemetry.record("session_start", {"title_id": source})
        if opened.license_seconds is not None:
            self._emit(
                LicenseAcquired(
                    at=clock.now(), seconds=opened.license_seconds, key_count=len(opened.kids)
                )
            )
        return opened

    def _make_engine(self, opened: Opened) -> PlaybackEngine:
        self._pipeline = MediaPipeline(opened.keys)
        return PlaybackEngine(
            periods=opened.periods,
            downloader=opened.downloader,
            pipeline=self._pipeline,
            abr=self._make_abr(opened.playback),
            sink=self.sink,
            config=self.config,
            clock=self._device.clock,
            emit=self._emit,
            duration=opened.duration,
            content_id=opened.content_id,
            session_id=opened.session_id,
            locate=opened.locate(),
            prepare=opened.prepare(self._device),
        )

    @property
    def periods_played(self) -> int:
        """Periods played to their end in this session (a multi-Period MPD: all of them)."""
        return self._engine.periods_played if self._engine is not None else 0

    def _start_steering(self, pm: PlaybackManifest, selector: OcaSelector) -> None:
        """Follow the Play API's content steering server until ``stop`` (over the playback
        channel); its failures are non-fatal ``ErrorEvent``s, never a playback error."""
        if not self.config.oca.steering or pm.steering_url is None:
            return
        clock = self._device.clock

        def updated(manifest: SteeringManifest, order: tuple[str, ...], ttl: float) -> None:
            self._emit(SteeringUpdated(at=clock.now(), pathways=order, ttl=ttl))

        def failed(err: SdkError) -> None:
            self._emit(ErrorEvent.from_error(err, at=clock.now(), fatal=False))

        self._steering = SteeringClient(
            self._device.playback,
            selector,
            pm.steering_url,
            config=self.config.oca,
            clock=clock,
            initial_ttl=pm.steering_ttl,
            read_timeout=self._device.playback.config.timeouts.read,
            on_update=updated,
            on_error=failed,
        )
        self._steering.start()

    def _step(self, machine: PlayerStateMachine, event: PlayerEvent) -> None:
        tr = machine.process(event, self._device.clock.now())
        if tr.changed:
            self._emit(StateChanged.from_transition(tr))

    def _fail(self, err: SdkError) -> None:
        self._emit(ErrorEvent.from_error(err, at=self._device.clock.now(), fatal=True))
        self._step(self._idle, PlayerEvent.FAIL)
        self._finish("error")

    def _make_abr(self, pm: PlaybackManifest | None) -> AbrAlgorithm:
        cfg = self.config.abr
        if cfg.algorithm == "default" and pm is not None and pm.abr_algorithm:
            with contextlib.suppress(AbrError):
                return abr.registry.create(pm.abr_algorithm, **dict(pm.abr_params))
            with contextlib.suppress(AbrError):
                return abr.registry.create(pm.abr_algorithm)
        return abr.registry.create(cfg.algorithm, **dict(cfg.params))

    async def _drive(self, engine: PlaybackEngine) -> None:
        with contextlib.suppress(SdkError):
            await engine.run()
        if engine.state.state in (PlayerState.ENDED, PlayerState.ERROR):
            self._finish("ended" if engine.state.state is PlayerState.ENDED else "error")

    def play(self) -> None:
        self._require().process(PlayerEvent.PLAY)

    def pause(self) -> None:
        self._require().process(PlayerEvent.PAUSE)

    async def seek(self, position: float) -> None:
        """Flush and restart buffering at ``position`` (seconds)."""
        engine = self._require()
        engine.process(PlayerEvent.SEEK)
        await self._cancel_task()
        target = max(0.0, float(position))
        if engine.live is not None and not engine.live.ended:
            target = engine.live.timeline.seek(engine.live.wall(), target)
            target = self._live_aligned(engine, target)
        elif engine.duration is not None:
            target = min(target, max(0.0, engine.duration - 0.001))
        engine.reset_for(target)
        self.sink.on_flush(target)
        if self._text is not None:
            self._text.seek(target)
        engine.process(PlayerEvent.SEEK_DONE)
        self._ended.clear()
        self._task = asyncio.create_task(self._drive(engine), name="nrdp-player")

    @property
    def live(self) -> bool:
        """Is a live (dynamic MPD) source loaded?"""
        return self._engine is not None and self._engine.live is not None

    def live_window(self) -> tuple[float, float] | None:
        """The DVR window ``(start, edge)`` on the MPD timeline now (None: not live)."""
        engine = self._engine
        if engine is None or engine.live is None:
            return None
        w = engine.live.timeline.window(engine.live.wall())
        return w.dvr_start, w.edge

    async def go_live(self) -> None:
        """Seek to the live edge (the target latency behind now)."""
        engine = self._require()
        if engine.live is None:
            raise InvalidState(state=self.state.value, event="go_live on an on-demand source")
        live = engine.live
        await self.seek(live.timeline.start_position(live.wall()))

    def set_quality(self, *, max_rung: int | None = None, rung: int | None = None) -> None:
        """Cap the video rung (``max_rung``), pin it (``rung``), or both ``None`` for auto."""
        engine = self._require()
        engine.quality_cap = max_rung
        engine.fixed_rung = rung

    def set_master_clock(self, clock: MasterClock | None) -> None:
        """Pace video against an external master clock (the audio device's), or, with
        ``None``, against the SDK's own presentation clock again. Kept across ``load``.

        ``clock()`` returns the media time (seconds) of what the master plays now, or
        ``None`` when it has none (device not started, no audio, starved). In real time
        (``PlayerConfig.realtime``) a video frame is then handed to the sink once the master
        reached its timestamp, and a frame behind the master by more than its duration is
        dropped (counted in ``stats().dropped_frames``). While the clock returns ``None``,
        or has not advanced for 0.5 s of playing time (audio ended, the device stalled),
        video runs on the SDK's own clock from where it was (no jump back, no freeze) and
        follows the master again once it advances. Audio frames still go to the sink ahead
        of time, on the SDK's clock. ``clock`` is called on the SDK's loop thread, often:
        it must be thread-safe and cheap (return a value another thread published); an
        exception from it counts as ``None``."""
        if clock is not None and not callable(clock):
            raise TypeError("the master clock must be a callable or None")
        self._master = clock
        if self._engine is not None:
            self._engine.set_master_clock(clock)

    @property
    def master_clock_active(self) -> bool:
        """Is video paced by the master clock right now (``False``: none set, or the SDK's
        own clock has taken over because it returned ``None`` or stalled)?"""
        engine = self._engine
        return engine is not None and engine.master is not None and engine.master.following

    async def wait_until_done(self, timeout: float | None = None) -> PlayerState:
        """Wait for ENDED, ERROR or STOPPED; returns the state."""
        async with asyncio.timeout(timeout):
            await self._ended.wait()
        return self.state

    async def stop(self) -> None:
        """Stop playback; nothing of the session keeps running afterwards."""
        engine = self._engine
        live_task, self._live_task, self._live = self._live_task, None, None
        if live_task is not None and not live_task.done():
            live_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await live_task
        await self._cancel_task()
        steering, self._steering = self._steering, None
        if steering is not None:
            await steering.close()
        text, self._text = self._text, None
        if text is not None:
            await text.close()
        self._catalog, self._audio_id = TrackCatalog(), None
        thumbs, self._thumbs = self._thumbs, None
        if thumbs is not None:
            thumbs.close()
        if engine is None:
            return
        if engine.state.can(PlayerEvent.STOP):
            position = engine.position
            if engine.state.state is not PlayerState.ENDED:
                self._finish("stopped")
            engine.process(PlayerEvent.STOP)
            if self.config.bookmarks and self.title_id is not None and engine.live is None:
                self._device.write_bookmark(self.title_id, position)  # none for live
        if self._pipeline is not None:
            self._pipeline.close()
            self._pipeline = None
        self._engine = None
        self._idle = PlayerStateMachine(play_intent=self.config.autoplay)

    def _finish(self, reason: str) -> None:
        tel, self._telemetry = self._telemetry, None
        if tel is not None:
            tel.end(self.stats(), reason)

    async def _cancel_task(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def close(self) -> None:
        await self.stop()
        self._hub.close()

    async def thumbnail_at(self, t: float) -> Thumbnail | None:
        """The seek-bar preview for presentation time ``t`` (seconds): the DASH-IF
        thumbnail tile image of the Period at ``t`` and the cell's rectangle in it.
        ``None`` before ``load`` or when the title has no thumbnails; a tile that cannot be
        fetched from any location raises the downloader's typed error."""
        thumbs = self._thumbs
        return None if thumbs is None else await thumbs.thumbnail_at(float(t))

    # ------------------------------------------------------------------ tracks

    def _start_tracks(
        self, engine: PlaybackEngine, catalog: TrackCatalog, audio_id: str | None
    ) -> None:
        """Remember the title's tracks, announce the audio track, start the text presenter
        (and the preferred subtitles)."""
        self._catalog = catalog
        self._audio_id = audio_id
        clock = self._device.clock
        if audio_id is not None:
            self._emit(TrackChanged(at=clock.now(), kind="audio", from_id=None, to_id=audio_id))

        async def fetch(path: str) -> bytes:
            return (await engine.downloader.fetch(path)).data

        def failed(err: SdkError, track_id: str) -> None:
            self._emit(ErrorEvent.from_error(err, at=clock.now(), fatal=False))
            self._emit(TrackChanged(at=clock.now(), kind="text", from_id=track_id, to_id=None))

        self._text = TextPresenter(
            fetch=fetch,
            deliver=self._deliver_cue,
            position=lambda: engine.position,
            on_error=failed,
        )
        preferred = catalog.preferred_text(self.config.preferred_text_language)
        if preferred is not None:
            self._show_text(preferred)

    def _deliver_cue(self, cue: TextCue) -> None:
        on_text = getattr(self.sink, "on_text", None)
        if on_text is not None:
            on_text(cue)

    def _show_text(self, option: TextOption | None) -> None:
        assert self._text is not None
        old = self._text.track_id
        new = option.info.id if option is not None else None
        if new == old:
            return
        self._text.select(new, option.path if option is not None else None)
        self._emit(TrackChanged(at=self._device.clock.now(), kind="text", from_id=old, to_id=new))

    def audio_tracks(self) -> tuple[TrackInfo, ...]:
        """The title's audio tracks the device can play (empty before ``load``)."""
        return self._catalog.infos("audio", self._audio_id)

    def text_tracks(self) -> tuple[TrackInfo, ...]:
        """The title's WebVTT subtitle tracks (empty before ``load``)."""
        return self._catalog.infos("text", self._text.track_id if self._text else None)

    async def select_audio_track(self, track_id: str) -> None:
        """Switch the audio language now: the audio buffered ahead of the playhead is
        dropped and fetched again from the new track; video is not touched. Raises
        :class:`~nrdp.errors.UnknownTrack` for an id not in :meth:`audio_tracks`."""
        engine = self._require()
        option = self._catalog.audio_option(track_id)
        old = self._audio_id
        if track_id == old:
            return
        engine.switch_track(TrackKind.AUDIO, option.choice)
        self._audio_id = track_id
        now = self._device.clock.now()
        self._emit(TrackChanged(at=now, kind="audio", from_id=old, to_id=track_id))

    def select_text_track(self, track_id: str | None) -> None:
        """Show the subtitles ``track_id`` (fetched and parsed in the background; cues go to
        the sink's ``on_text``), or none with ``None``. Raises
        :class:`~nrdp.errors.UnknownTrack` for an id not in :meth:`text_tracks`."""
        self._require()
        self._show_text(None if track_id is None else self._catalog.text_option(track_id))

    def _require(self) -> PlaybackEngine:
        if self._engine is None:
            raise InvalidState(state=self.state.value, event="control without a loaded title")
        return self._engine
