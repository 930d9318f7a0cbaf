"""The monitor: readiness to start or resume, stalls (a track ran dry while playing), the
hold at a Period boundary, and the periodic frame counts. The rules are
:mod:`.decisions`; this task only samples the state on the clock and acts.

It samples every ``TICK`` while something can change at any moment (buffering, a hold,
paused); while playing it sleeps until a track could first run dry (half that lead, so a
rate raised meanwhile is still caught) or the next frame count is due, whichever is first:
every wakeup of the loop costs CPU (~0.1 ms on a busy 2-core box), and 50 a second of them
were a large part of the SDK's cost of playing in real time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from abr.types import Phase
from nrdp.clock import wait_event
from nrdp.events import RebufferEnded, RebufferStarted
from nrdp.scheduler.decisions import dry_tracks, dry_within, readiness_need, ready
from nrdp.state import PlayerEvent, PlayerState

if TYPE_CHECKING:
    from nrdp.scheduler.loop import PlaybackEngine

__all__ = ["TICK", "Monitor", "engine_ready"]

TICK = 0.02
REPORT_EVERY_S = 0.5


def engine_ready(engine: PlaybackEngine) -> bool:
    """Enough of every track buffered to start, resume after a stall or leave a hold."""
    cfg = engine.config
    need = readiness_need(
        cfg.buffer.start, cfg.buffer.rebuffer, stalled=engine.stalled, realtime=cfg.realtime
    )
    pos = engine.position
    return ready([t.level(pos) for t in engine.tracks], need, engine.period_end)


class Monitor:
    def __init__(self, engine: PlaybackEngine) -> None:
        self.engine = engine

    async def run(self) -> None:
        engine = self.engine
        last_report = engine.clock.now()
        while True:
            self.step()
            now = engine.clock.now()
            if now - last_report >= REPORT_EVERY_S:
                engine.report_frames()
                last_report = now
            if engine.state.state is PlayerState.BUFFERING or engine.holding:
                engine.arrived.clear()
                await wait_event(engine.clock, engine.arrived, TICK)
            else:
                await engine.clock.sleep(self.pause(last_report + REPORT_EVERY_S - now))

    def pause(self, report_in: float) -> float:
        """Seconds until the next look: ``TICK``, or while playing up to when a track could
        first run dry (half of it) or the frame count is due (``report_in``)."""
        engine = self.engine
        if engine.state.state is not PlayerState.PLAYING:
            return TICK
        wait = report_in
        if engine.config.realtime:
            levels = [t.level(engine.position) for t in engine.tracks]
            wait = min(wait, dry_within(levels, engine.pclock.rate) / 2)
        return max(TICK, wait)

    def step(self) -> None:
        engine = self.engine
        state = engine.state.state
        now, pos = engine.clock.now(), engine.position
        if engine.holding:
            if engine_ready(engine):
                engine.release_hold()
            return
        if state is PlayerState.BUFFERING and engine_ready(engine):
            if engine.stall_started is not None:
                duration = now - engine.stall_started
                engine.emit(RebufferEnded(at=now, position=pos, duration=duration))
                engine.stall_started = None
            engine.process(PlayerEvent.BUFFER_READY)
            if engine.state.state is PlayerState.PLAYING:
                engine.phase = Phase.STEADY
        elif (
            state is PlayerState.PLAYING
            and engine.config.realtime
            and dry_tracks([t.level(pos) for t in engine.tracks])
        ):
            engine.stall_started = now
            engine.phase = Phase.REBUFFERING
            engine.emit(RebufferStarted(at=now, position=pos))
            engine.process(PlayerEvent.BUFFER_EMPTY)
