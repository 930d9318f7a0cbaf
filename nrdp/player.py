"""The public :class:`Player`: a thin facade over the engine, the clients and the policies.

``load`` runs the data-plane calls in order — Play API (signed), MPD from the best OCA
(through the same failover downloader as segments), track selection, license (before any
media segment is fetched, so a refusal costs no media traffic) — then starts a
:class:`~nrdp.scheduler.loop.PlaybackEngine` epoch in a background task. ``seek`` cancels the
epoch and starts a new one; ``stop`` cancels it, closes the media worker pool, writes the
bookmark (discovery channel, in the background) and sends the session summary (telemetry).

Each job of the player has its own module; this class only sequences them:

- :mod:`nrdp.player_open`: the source opened, the ABR, the engine, steering and thumbnails;
- :mod:`nrdp.player_session`: what one ``load`` started, ended in one place by ``stop``;
- :mod:`nrdp.player_live`: a dynamic MPD's clock, start position, live task and controls;
- :mod:`nrdp.player_tracks`: audio and text tracks, subtitles;
- :mod:`nrdp.player_events`: every event to stats, telemetry, ``wait_until_done`` and the app.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from mediacore.errors import SdkError
from nrdp.config import PlayerConfig
from nrdp.errors import InvalidState
from nrdp.events import Event
from nrdp.hub import Subscription
from nrdp.media.sinks import NullSink, Sink
from nrdp.playback.play_api import PlaybackManifest
from nrdp.playback.token import PlaybackSession
from nrdp.player_events import PlayerEvents
from nrdp.player_live import (
    LIVE_404_RETRIES,
    edge_position,
    live_window,
    open_live,
    seek_target,
)
from nrdp.player_open import make_session, open_source, start_steering
from nrdp.player_session import PlayerSession
from nrdp.player_tracks import PlayerTracks
from nrdp.routes import new_session
from nrdp.scheduler.loop import PlaybackEngine
from nrdp.scheduler.master import MasterClock
from nrdp.scheduler.tracks import TrackInfo
from nrdp.source import DashSource
from nrdp.state import PlayerEvent, PlayerState, PlayerStateMachine
from nrdp.stats import StatsSnapshot
from nrdp.thumbnails import Thumbnail

if TYPE_CHECKING:
    from nrdp.device import Device

__all__ = ["LIVE_404_RETRIES", "Player"]


class Player:
    """One playback at a time on a :class:`~nrdp.device.Device`; make it with
    ``device.player(sink=...)``."""

    def __init__(self, device: Device, sink: Sink | None, config: PlayerConfig) -> None:
        self._device = device
        self.sink: Sink = sink if sink is not None else NullSink()
        self.config = config
        self._events = PlayerEvents(device.clock)
        self._idle = PlayerStateMachine(play_intent=config.autoplay)
        self._session: PlayerSession | None = None
        self.manifest: PlaybackManifest | None = None
        self.playback_session: PlaybackSession | None = None
        self.title_id: str | None = None
        self.source: str | DashSource | None = None
        self.loaded_at: float | None = None
        self._load_error: SdkError | None = None
        self._tracks = PlayerTracks(config, device.clock, self._events.emit, lambda: self.sink)
        self._master: MasterClock | None = None
        self.wall: Callable[[], float] = time.time
        """The device's wall clock (POSIX seconds) for live playback; the live task runs it
        on the session clock from the value it has at load, and UTCTiming corrects it."""

    # ------------------------------------------------------------------ events

    def on_event(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback`` with every event (on the loop); returns an unsubscribe function."""
        return self._events.hub.add_callback(callback)

    def events(self, maxsize: int = 1000) -> Subscription:
        """``async for event in player.events(): ...`` (bounded; oldest dropped if slow)."""
        return self._events.hub.subscribe(maxsize)

    def stats(self) -> StatsSnapshot:
        return self._events.snapshot()

    @property
    def state(self) -> PlayerState:
        return self.engine.state.state if self.engine is not None else self._idle.state

    @property
    def position(self) -> float:
        return self.engine.position if self.engine is not None else 0.0

    @property
    def error(self) -> SdkError | None:
        """The error that ended the session, if one did."""
        return self.engine.error if self.engine is not None else self._load_error

    @property
    def engine(self) -> PlaybackEngine | None:
        """The running engine (for apps' debug overlays and tests)."""
        return self._session.engine if self._session is not None else None

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
        self._idle = self._events.new_session(play_intent=self.config.autoplay)
        self._load_error = None
        self.title_id = source if isinstance(source, str) else None
        self.source = source
        self.loaded_at = self._device.clock.now()
        session = await self._open(source, profile_id)
        engine, opened = session.engine, session.opened
        engine.state = self._idle
        engine.set_master_clock(self._master)
        if opened.live:  # a failure closes the session and ends the load in ERROR
            start = await open_live(
                (self._device, self.config, session, self._events),
                (self.seek, self.wall, self.sink),
                (start, live_offset),
                self._fail_load,
            )
        engine.reset_for(start or 0.0)
        self._session = session
        self._tracks.start(engine, opened.periods[0].catalog)
        session.run(start_steering(self._device, self.config, opened, self._events))

    def _fail_load(self, err: SdkError) -> None:
        self._load_error = err
        self._events.fail(self._idle, err)

    async def _open(self, source: str | DashSource, profile_id: str | None) -> PlayerSession:
        """The opened source's session, not started; a typed error ends the load in ERROR."""
        dev = self._device
        try:
            if isinstance(source, str):
                self.playback_session = new_session(dev, source, profile_id)
            opened = await open_source(
                dev, self.config, source, self.playback_session, self._events
            )
            if isinstance(source, str):
                self.manifest = opened.playback
            return make_session(dev, self.config, opened, self.sink, self._events)
        except SdkError as err:
            self._fail_load(err)
            raise

    @property
    def periods_played(self) -> int:
        """Periods played to their end in this session (a multi-Period MPD: all of them)."""
        return self.engine.periods_played if self.engine is not None else 0

    def play(self) -> None:
        self._require().process(PlayerEvent.PLAY)

    def pause(self) -> None:
        self._require().process(PlayerEvent.PAUSE)

    async def seek(self, position: float) -> None:
        """Flush and restart buffering at ``position`` (seconds)."""
        engine = self._require()
        engine.process(PlayerEvent.SEEK)
        assert self._session is not None
        await self._session.end_epoch()
        target = seek_target(engine, position)
        engine.reset_for(target)
        self.sink.on_flush(target)
        self._tracks.seek(target)
        engine.process(PlayerEvent.SEEK_DONE)
        self._events.done.clear()
        self._session.start_epoch()

    @property
    def live(self) -> bool:
        """Is a live (dynamic MPD) source loaded?"""
        return self.engine is not None and self.engine.live is not None

    def live_window(self) -> tuple[float, float] | None:
        """The DVR window ``(start, edge)`` on the MPD timeline now (None: not live)."""
        return live_window(self.engine)

    async def go_live(self) -> None:
        """Seek to the live edge (the target latency behind now)."""
        engine = self._require()
        if engine.live is None:
            raise InvalidState(state=self.state.value, event="go_live on an on-demand source")
        await self.seek(edge_position(engine))

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
        if self.engine is not None:
            self.engine.set_master_clock(clock)

    @property
    def master_clock_active(self) -> bool:
        """Is video paced by the master clock right now (``False``: none set, or the SDK's
        own clock has taken over because it returned ``None`` or stalled)?"""
        engine = self.engine
        return engine is not None and engine.master is not None and engine.master.following

    async def wait_until_done(self, timeout: float | None = None) -> PlayerState:
        """Wait for ENDED, ERROR or STOPPED; returns the state."""
        async with asyncio.timeout(timeout):
            await self._events.done.wait()
        return self.state

    async def stop(self) -> None:
        """Stop playback; nothing of the session keeps running afterwards."""
        session = self._session
        if session is not None:
            await session.close_tasks()
        await self._tracks.close()
        if session is None:
            return
        position = session.stop()
        if position is not None and self.config.bookmarks and self.title_id is not None:
            self._device.write_bookmark(self.title_id, position)  # on demand only
        self._session = None
        self._idle = PlayerStateMachine(play_intent=self.config.autoplay)

    async def close(self) -> None:
        await self.stop()
        self._events.hub.close()

    async def thumbnail_at(self, t: float) -> Thumbnail | None:
        """The seek-bar preview for presentation time ``t`` (seconds): the DASH-IF
        thumbnail tile image of the Period at ``t`` and the cell's rectangle in it.
        ``None`` before ``load`` or when the title has no thumbnails; a tile that cannot be
        fetched from any location raises the downloader's typed error."""
        session = self._session
        return None if session is None else await session.thumbs.thumbnail_at(float(t))

    # ------------------------------------------------------------------ tracks

    def audio_tracks(self) -> tuple[TrackInfo, ...]:
        """The title's audio tracks the device can play (empty before ``load``)."""
        return self._tracks.audio_tracks()

    def text_tracks(self) -> tuple[TrackInfo, ...]:
        """The title's WebVTT subtitle tracks (empty before ``load``)."""
        return self._tracks.text_tracks()

    async def select_audio_track(self, track_id: str) -> None:
        """Switch the audio language now: the audio buffered ahead of the playhead is
        dropped and fetched again from the new track; video is not touched. Raises
        :class:`~nrdp.errors.UnknownTrack` for an id not in :meth:`audio_tracks`."""
        self._tracks.select_audio(self._require(), track_id)

    def select_text_track(self, track_id: str | None) -> None:
        """Show the subtitles ``track_id`` (fetched and parsed in the background; cues go to
        the sink's ``on_text``), or none with ``None``. Raises
        :class:`~nrdp.errors.UnknownTrack` for an id not in :meth:`text_tracks`."""
        self._require()
        self._tracks.select_text(track_id)

    def _require(self) -> PlaybackEngine:
        if self.engine is None:
            raise InvalidState(state=self.state.value, event="control without a loaded title")
        return self.engine
