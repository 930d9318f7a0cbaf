"""The live task of one playback, next to the engine (it outlives the engine's epochs: a
seek or a jump to the edge restarts the engine, not this): MPD refresh on
minimumUpdatePeriod, UTCTiming clock samples, and the latency tick (stat, event, rate
nudge, jump to the edge after a stall).

All waits are on the engine's clock, all I/O on the playback channel, all decisions in
:class:`~nrdp.live.LiveTimeline` (docs/live.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from manifest.model import Manifest
from mediacore.errors import SdkError
from nrdp.clock import busy
from nrdp.config import LiveConfig
from nrdp.events import ErrorEvent
from nrdp.live.events import ClockSynced, LiveEdgeJumped, LiveEnded, LiveLatency, ManifestRefreshed
from nrdp.live.refresh import RefreshOutcome
from nrdp.live.refresher import MpdRefresher
from nrdp.live.utc import timing_sources
from nrdp.live.utc_client import Requester, channel_offset
from nrdp.media.sinks import apply_playback_rate
from nrdp.scheduler.live import LivePlayback
from nrdp.state import PlayerState
from nrdp.timeline import PeriodPlan

if TYPE_CHECKING:
    from nrdp.scheduler.loop import PlaybackEngine

__all__ = ["LiveControl", "LiveHooks"]

_DONE = (PlayerState.ENDED, PlayerState.ERROR, PlayerState.STOPPED)


@dataclass(frozen=True)
class LiveHooks:
    """What the live task needs from the Player."""

    engine: Callable[[], PlaybackEngine | None]
    seek: Callable[[float], Awaitable[None]]
    fetch_mpd: Callable[[str], Awaitable[bytes]]
    replan: Callable[[Manifest], tuple[PeriodPlan, ...]]
    channel: Requester
    rate_supported: bool = False


class LiveControl:
    def __init__(self, live: LivePlayback, hooks: LiveHooks, config: LiveConfig) -> None:
        self.live = live
        self.hooks = hooks
        self.config = config
        self.refresher: MpdRefresher | None = None
        self._last_sample: float | None = None
        self._stalled = False
        self._sink_rate = 1.0

    # ------------------------------------------------------------------ clock

    async def sync_clock(self) -> bool:
        """One UTCTiming sample (emits ``ClockSynced``); without a usable source the device
        clock is kept and a non-fatal error says so (DASH-IF's advice). True when the
        sample moved the clock estimate."""
        live, tl = self.live, self.live.timeline
        self._last_sample = live.clock.now()
        live.suspect_clock = False
        try:
            with busy(live.clock):
                sample = await channel_offset(
                    self.hooks.channel, timing_sources(tl.manifest.utc_timings), wall=live.wall
                )
        except SdkError as err:
            live.emit(ErrorEvent.from_error(err, at=live.clock.now(), fatal=False))
            return False
        first = tl.sync.offset is None
        drifted = tl.on_clock_sample(sample)
        live.emit(
            ClockSynced(
                at=live.clock.now(),
                offset_s=sample.offset_s,
                uncertainty_s=sample.uncertainty_s,
                scheme=sample.scheme.value,
                drifted=drifted or first,
            )
        )
        return drifted

    def _resync_due(self) -> bool:
        live = self.live
        if live.timeline.sync.due(live.wall()):
            return True
        since = live.clock.now() - (self._last_sample or 0.0)
        return live.suspect_clock and since >= self.config.resync_min_s

    # ------------------------------------------------------------------ run

    async def _back_in_window(self, engine: PlaybackEngine) -> None:
        """After the clock moved: a playhead outside the DVR window (it was placed on the
        wrong clock) goes to the live edge."""
        tl, wall = self.live.timeline, self.live.wall()
        w = tl.window(wall)
        if not w.empty and not w.dvr_start <= engine.position <= w.edge:
            await self.hooks.seek(tl.start_position(wall))

    def _edge_implausible(self) -> bool:
        """The MPD's newest segment ends far behind our ``now``: the origin stalled, or
        our clock is wrong (an explicit SegmentTimeline never shows a too-early clock as
        404s). Either way a fresh clock sample is cheap."""
        tl = self.live.timeline
        w = tl.window(self.live.wall())
        slack = 3 * (w.segment_duration or 1.0) + (tl.manifest.minimum_update_period or 0.0)
        return w.empty or w.now_s - w.edge > slack

    async def run(self) -> None:
        """Until the playback is over; refresh failures are non-fatal error events (the
        buffered media still plays)."""
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._refresh(), name="nrdp-live-refresh")
            await self._ticks()

    async def _refresh(self) -> None:
        live = self.live
        self.refresher = MpdRefresher(
            live.timeline.manifest,
            fetch=self._fetch,
            clock=live.clock,
            utc_now=live.now,
            on_update=self._on_update,
        )
        try:
            await self.refresher.run()
        except SdkError as err:
            live.emit(ErrorEvent.from_error(err, at=live.clock.now(), fatal=False))

    async def _fetch(self, url: str) -> bytes:
        with busy(self.live.clock):
            return await self.hooks.fetch_mpd(url)

    def _on_update(self, outcome: RefreshOutcome) -> None:
        live, tl = self.live, self.live.timeline
        tl.on_refresh(outcome)
        now = live.clock.now()
        engine = self.hooks.engine()
        try:
            plans = self.hooks.replan(outcome.manifest)
        except SdkError as err:  # e.g. a new Period this device cannot play
            live.emit(ErrorEvent.from_error(err, at=now, fatal=False))
            plans = None
        if engine is not None and plans is not None:
            engine.update_periods(plans)
            if tl.end is not None:
                engine.duration = tl.end
        live.emit(
            ManifestRefreshed(
                at=now,
                refreshes=tl.counters.mpd_refreshes,
                new_segments=outcome.new_segments,
                new_periods=outcome.new_periods,
                ended=outcome.ended,
            )
        )
        if outcome.ended and tl.end is not None:
            live.emit(LiveEnded(at=now, end=tl.end))

    async def _ticks(self) -> None:
        live = self.live
        while True:
            await live.clock.sleep(self.config.tick_s)
            engine = self.hooks.engine()
            if engine is None or engine.state.state in _DONE:
                return
            if not live.ended and self._edge_implausible():
                live.suspect_clock = True
            if self._resync_due() and await self.sync_clock():
                await self._back_in_window(engine)
            if engine.stalled:
                self._stalled = True
            if engine.state.state is PlayerState.PLAYING and not live.ended:
                await self._tick(engine)

    async def _tick(self, engine: PlaybackEngine) -> None:
        live, tl = self.live, self.live.timeline
        after_stall, self._stalled = self._stalled, False
        position = engine.position
        # an external master clock (an audio device) paces video at its own rate
        rate_supported = self.hooks.rate_supported and engine.master is None
        latency, action = tl.tick(
            position,
            live.wall(),
            current_rate=engine.pclock.rate,
            after_stall=after_stall,
            rate_supported=rate_supported,
        )
        now = live.clock.now()
        target = tl.target(live.wall())
        live.emit(LiveLatency(at=now, latency_s=latency, target_s=target, rate=action.rate))
        if rate_supported or engine.pclock.rate != 1.0:
            self._apply_rate(engine, action.rate)
        if action.jump_to is not None and action.jump_to > position:
            live.emit(
                LiveEdgeJumped(
                    at=now, from_position=position, to_position=action.jump_to, latency_s=latency
                )
            )
            await self.hooks.seek(action.jump_to)

    def _apply_rate(self, engine: PlaybackEngine, rate: float) -> None:
        """The presentation clock (which paces every presenter) and the sink run at
        ``rate`` from now on; the sink is told only of changes."""
        if rate != engine.pclock.rate:
            engine.pclock.set_rate(rate)
        if rate != self._sink_rate:
            apply_playback_rate(engine.sink, rate)
            self._sink_rate = rate
