"""One playback driven through the public ``nrdp`` API, measured for a QA report.

A :class:`PlaySession` loads a title on a logged-in :class:`nrdp.Device`, records every
event, a per-segment log and a timeline (throughput, bitrate, buffer), stops at the end of
the title or after ``duration`` seconds of media, and folds it all into a result dict
(:func:`apps.headless.report.session_report`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nrdp
from apps.headless.frames import FrameSink
from apps.headless.options import PlayOptions

__all__ = ["PlayOptions", "PlaySession", "SegmentRecord", "Tick"]


@dataclass(frozen=True)
class SegmentRecord:
    t: float
    track: str
    number: int
    rung: int
    bitrate_kbps: float
    bytes: int
    download_s: float
    ttfb_s: float
    oca: str
    buffer_s: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "t": round(self.t, 4),
            "track": self.track,
            "number": self.number,
            "rung": self.rung,
            "bitrate_kbps": round(self.bitrate_kbps, 1),
            "bytes": self.bytes,
            "download_s": round(self.download_s, 4),
            "ttfb_s": round(self.ttfb_s, 4),
            "oca": self.oca,
            "buffer_s": round(self.buffer_s, 3),
        }


@dataclass(frozen=True)
class Tick:
    """What a progress display shows, once per poll."""

    title: str
    state: str
    position: float
    duration: float | None
    bitrate_kbps: float | None
    buffer_s: float
    oca: str | None
    stalls: int
    failovers: int


class PlaySession:
    """Drives one player; ``await run()`` or ``start()`` + ``wait()`` + ``stop()``."""

    def __init__(
        self,
        device: nrdp.Device,
        options: PlayOptions,
        *,
        on_tick: Callable[[Tick], None] | None = None,
        poll_s: float = 0.1,
    ) -> None:
        if options.title is None:
            raise ValueError("PlayOptions.title is needed to play")
        self.device = device
        self.options = options
        self.title: str = options.title
        self.on_tick = on_tick
        self.poll_s = poll_s
        stamped = options.read_frame_ids and options.decode and options.source is None
        self.sink = FrameSink(
            read_ids=stamped, ids_from_pts=options.source is not None, clock=device.clock.now
        )
        self.sink.on_shown = self._on_frame_shown
        self.player = device.player(sink=self.sink, config=options.player_config())
        self.events: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.segments: list[SegmentRecord] = []
        self.timeline: list[dict[str, float]] = []
        self.stalls: list[tuple[float, float | None]] = []
        self.buffer: dict[str, float] = {}
        self.t0 = device.clock.now()
        self.final_state: str | None = None
        self.timed_out = False
        self.details: dict[str, Any] | None = None
        self._details_task: asyncio.Task[dict[str, Any] | None] | None = None
        self._unsubscribe = self.player.on_event(self._on_event)
        self.stats: nrdp.StatsSnapshot | None = None
        self.position = 0.0
        self.wall_start: float | None = None
        """``time.monotonic()`` when loading began, and when the session stopped."""
        self.wall_end: float | None = None
        self.periods_played = 0
        self.media_duration: float | None = None
        self.live = False
        """A live (dynamic MPD) source: positions are on the MPD timeline."""
        self.origin = options.start or 0.0
        """Where playback started (live: the edge's position); ``--duration`` counts from it."""
        self.skipped_video_s = 0.0
        """Video the SDK skipped (live segments that stayed missing or left the window)."""
        self.limit_paused = False
        """True once ``duration`` was reached and the player paused there (then stopped)."""

    # ------------------------------------------------------------------ events

    def _rel(self, at: float) -> float:
        return max(0.0, at - self.t0)

    def _on_event(self, ev: nrdp.Event) -> None:
        if isinstance(ev, nrdp.FramesRendered | nrdp.BufferLevel):
            self._pause_at_limit()  # fast decode-off: no frames reach the sink
        d = ev.to_dict()
        d["at"] = round(self._rel(ev.at), 4)
        if not isinstance(ev, nrdp.BufferLevel | nrdp.BandwidthEstimated):
            self.events.append(d)
        if isinstance(ev, nrdp.SegmentSkipped) and ev.track == "video":
            self.skipped_video_s += ev.duration
        if isinstance(ev, nrdp.ErrorEvent):
            self.errors.append({**ev.error, "fatal": ev.fatal, "at": d["at"]})
        elif isinstance(ev, nrdp.BufferLevel):
            self.buffer[ev.track.value] = ev.ahead
            self.timeline.append({"t": d["at"], "buffer_s": self._video_buffer()})
        elif isinstance(ev, nrdp.RebufferStarted):
            self.stalls.append((d["at"], None))
        elif isinstance(ev, nrdp.RebufferEnded) and self.stalls:
            self.stalls[-1] = (self.stalls[-1][0], d["at"])
        elif isinstance(ev, nrdp.SegmentDownloaded):
            rec = SegmentRecord(
                t=d["at"],
                track=ev.track.value,
                number=ev.number,
                rung=ev.rung,
                bitrate_kbps=ev.bitrate / 1000.0,
                bytes=ev.size,
                download_s=ev.seconds,
                ttfb_s=ev.ttfb,
                oca=ev.oca,
                buffer_s=self._video_buffer(),
            )
            self.segments.append(rec)
            if rec.track == "video":
                tput = ev.throughput_bps
                self.timeline.append(
                    {
                        "t": rec.t,
                        "throughput_kbps": tput / 1000.0 if tput else 0.0,
                        "bitrate_kbps": rec.bitrate_kbps,
                        "buffer_s": rec.buffer_s,
                    }
                )

    def _video_buffer(self) -> float:
        return self.buffer.get("video", min(self.buffer.values(), default=0.0))

    # ------------------------------------------------------------------ control

    @property
    def serving_oca(self) -> str | None:
        """The OCA of the latest segment, else the Play API's first candidate."""
        if self.segments:
            return self.segments[-1].oca
        pm = self.player.manifest
        if pm is not None and pm.ocas:
            return str(pm.ocas[0].id)
        return None

    async def _title_details(self) -> dict[str, Any] | None:
        with contextlib.suppress(nrdp.SdkError, TimeoutError):
            return await self.device.discovery.title(self.title)
        return None

    async def start(self) -> bool:
        """Load the title; False when loading failed (the error is in ``errors``)."""
        self.wall_start = time.monotonic()
        # The report's timebase: seconds since loading began, on the device clock (the
        # clock of every event's ``at``; docs/nrdp.md, "Timebase").
        self.t0 = self.device.clock.now()
        if self.options.source is None:
            self._details_task = asyncio.create_task(self._title_details())
        self.sink.begin(self.options.start or 0.0)
        try:
            target = self.options.source or self.title
            await self.player.load(target, start=self.options.start)
        except nrdp.SdkError as err:
            if not self.errors:
                self.errors.append({**err.to_dict(), "fatal": True, "at": 0.0})
            self.final_state = self.player.state.value
            return False
        if self.options.max_rung is not None:
            self.player.set_quality(max_rung=self.options.max_rung)
        if self.player.live:
            self._begin_live()
        return True

    def _begin_live(self) -> None:
        """Live: frame ids are pts slots on the MPD timeline (a looped channel's stamps
        repeat), counted from the edge where playback started."""
        self.live = True
        self.origin = self.player.position
        self.sink.read_ids = False
        self.sink.ids_from_pts = True
        self.sink.begin(self.origin)

    def tick(self) -> Tick:
        st = self.player.stats()
        dur = self.details.get("duration_s") if self.details else None
        return Tick(
            title=self.title,
            state=st.state,
            position=self.player.position,
            duration=float(dur) if isinstance(dur, int | float) else None,
            bitrate_kbps=st.video_bitrate / 1000.0 if st.video_bitrate else None,
            buffer_s=self._video_buffer(),
            oca=st.current_oca,
            stalls=st.stall_count,
            failovers=st.oca_failovers,
        )

    @property
    def limit_end(self) -> float | None:
        """The media position ``duration`` ends at (None: play to the end, also when the
        title ends first: then the session ends, it is not stopped at its last frame)."""
        d = self.options.duration
        if d is None:
            return None
        end = self.origin + d
        engine = self.player.engine
        title_end = engine.duration if engine is not None else None
        return None if title_end is not None and end >= title_end - 1e-3 else end

    def _limit_reached(self) -> bool:
        end = self.limit_end
        return self.limit_paused or (end is not None and self.player.position >= end - 1e-3)

    def _pause_at_limit(self) -> None:
        """Pause the moment ``duration`` is played: polling alone overshoots by a poll (and
        at fast speed by the rest of the title). The engine has no stop-at-position API."""
        if not self.limit_paused and self.player.engine is not None and self._limit_reached():
            self._pause_now()

    def _pause_now(self) -> None:
        if self.player.state.value in ("playing", "buffering"):
            self.player.pause()
            self.limit_paused = True

    def _on_frame_shown(self, end: float) -> None:
        """Fast speed: pause once the frame ending at or after ``limit_end`` is shown (real
        time waits for the clock instead, so the last frame keeps its slot)."""
        limit = self.limit_end
        if limit is not None and not self.options.realtime and end >= limit - 1e-3:
            self._pause_now()

    def _next_wake(self) -> float:
        """Seconds to sleep before the next check: a poll, or less when ``duration`` ends
        sooner on the media clock (real time: one media second per wall second)."""
        end = self.limit_end
        if end is None or not self.options.realtime or self.player.state.value != "playing":
            return self.poll_s
        return min(self.poll_s, max(0.0, end - self.player.position))

    @property
    def done(self) -> bool:
        return self.player.state.value in ("ended", "error", "stopped", "idle")

    async def wait(self, timeout: float | None = None) -> None:
        """Until the title ends or fails, ``duration`` is played, or ``timeout`` passes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.options.timeout if timeout is None else timeout)
        while not self.done:
            if self._details_task is not None and self._details_task.done():
                self.details = self._details_task.result()
            if self.on_tick is not None:
                self.on_tick(self.tick())
            if self._limit_reached():
                self._pause_at_limit()
                break
            if loop.time() >= deadline:
                self.timed_out = True
                break
            with contextlib.suppress(TimeoutError):
                await self.player.wait_until_done(self._next_wake())

    async def stop(self) -> None:
        if self.final_state is None:
            state = self.player.state.value
            # cut short by --duration, a timeout, a stop step or an expect step
            self.final_state = state if state in ("ended", "error", "idle") else "stopped"
        engine = self.player.engine
        if engine is not None:
            # flush the frame counters now: the engine reports them every few hundred ms,
            # and a stop cancels it before the next report (frames_presented lagged the sink)
            engine.report_frames()
            self.media_duration = engine.duration
        self.stats = self.player.stats()
        self.position = self.player.position
        self.periods_played = self.player.periods_played
        self.wall_end = time.monotonic()
        if self.on_tick is not None and self.player.state.value != "idle":
            self.on_tick(self.tick())
        await self.player.stop()
        if self._details_task is not None:
            with contextlib.suppress(TimeoutError):
                self.details = await asyncio.wait_for(self._details_task, 5.0)
        self._unsubscribe()

    async def run(self) -> None:
        if await self.start():
            await self.wait()
        await self.stop()
