"""The live side of a :class:`~nrdp.player.Player`: what a dynamic MPD adds to ``load`` (the
UTCTiming-synced clock, where to start, the live task) and the live controls (``live_window``,
``go_live``, a seek inside the DVR window).

The decisions (window, edge, target latency, 404 handling) live in
:class:`~nrdp.live.LiveTimeline`; the task that refreshes the MPD and keeps the latency is
:class:`~nrdp.scheduler.live_control.LiveControl`. This module only wires them to the
player and keeps every live position on a video segment start. See docs/live.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from mediacore.errors import SdkError
from nrdp.config import PlayerConfig
from nrdp.live.availability import NotFoundPolicy
from nrdp.live.timeline import LiveTimeline
from nrdp.media.sinks import Sink
from nrdp.routes import plan_periods
from nrdp.scheduler.buffer import TrackKind
from nrdp.scheduler.live import LivePlayback, wall_clock
from nrdp.scheduler.live_control import LiveControl, LiveHooks
from nrdp.scheduler.loop import PlaybackEngine
from nrdp.timeline import period_at

if TYPE_CHECKING:
    from nrdp.device import Device
    from nrdp.player_events import PlayerEvents
    from nrdp.player_session import PlayerSession

__all__ = [
    "LIVE_404_RETRIES",
    "PlayerLive",
    "edge_position",
    "live_window",
    "open_live",
    "seek_target",
]

LIVE_404_RETRIES = 3
"""A live segment still 404 after retries at +0.5, +1 and +2 s past its availability (up to
3.5 s late) is skipped: a later retry would outlast the buffer a live target holds."""


class PlayerLive:
    """The live side of one loaded dynamic MPD; its task (``control.run()``: MPD refresh,
    clock samples, latency ticks) outlives the engine's epochs: a seek restarts the engine,
    not the task."""

    def __init__(self, control: LiveControl, engine: PlaybackEngine) -> None:
        self.control = control
        self.engine = engine

    @classmethod
    async def open(
        cls,
        device: Device,
        config: PlayerConfig,
        session: PlayerSession,
        events: PlayerEvents,
        seek: Callable[[float], Awaitable[None]],
        wall: Callable[[], float],
        sink: Sink,
    ) -> PlayerLive:
        """Give the session's engine its live state and sync the clock once (UTCTiming).

        ``seek`` is the player's (the live task jumps to the edge with it), ``wall`` the
        device's wall clock (``Player.wall``); the latency is nudged by the playback rate
        only when ``sink`` says ``supports_playback_rate``."""
        cfg, opened, engine = config.live, session.opened, session.engine
        timeline = LiveTimeline(
            opened.manifest,
            latency=cfg.target_latency,
            margin_s=cfg.margin_s,
            max_rate_delta=cfg.max_rate_delta,
            not_found=NotFoundPolicy(max_retries=LIVE_404_RETRIES),
        )
        live = LivePlayback(
            timeline, clock=device.clock, wall=wall_clock(device.clock, wall), emit=events.emit
        )
        engine.live = live
        max_height = opened.playback.max_height if opened.playback is not None else None
        control = LiveControl(
            live,
            LiveHooks(
                engine=lambda: engine,  # the live task ends before the engine (``stop``)
                seek=seek,
                fetch_mpd=opened.fetch_mpd,
                replan=lambda m: plan_periods(device, config, m, max_height),
                channel=device.playback,
                rate_supported=bool(getattr(sink, "supports_playback_rate", False)),
            ),
            cfg,
        )
        await control.sync_clock()
        events.stats.live.live = True
        return cls(control, engine)

    def start_position(self, start: float | None, offset: float | None) -> float:
        """Where ``load`` starts: ``start`` on the MPD timeline (clamped to the window), else
        ``offset`` into the DVR window, else the live edge; on a video segment start."""
        live = self.control.live
        if start is not None:
            position = live.timeline.seek(live.wall(), start)
        else:
            position = live.timeline.start_position(live.wall(), dvr_offset=offset)
        return aligned(self.engine, position)


async def open_live(
    opening: tuple[Device, PlayerConfig, PlayerSession, PlayerEvents],
    player: tuple[Callable[[float], Awaitable[None]], Callable[[], float], Sink],
    wanted: tuple[float | None, float | None],
    on_error: Callable[[SdkError], None],
) -> float:
    """Give ``session`` its live side (:meth:`PlayerLive.open` with ``opening`` and the
    player's ``seek``, ``wall`` and ``sink``) and return where it starts (``wanted``: the
    load's ``start`` and ``live_offset``). On any failure nothing of the session keeps
    running: its tasks and pool are closed, ``on_error`` gets a typed error, and it raises."""
    device, config, session, events = opening
    try:
        session.live = await PlayerLive.open(device, config, session, events, *player)
        return session.live.start_position(*wanted)
    except BaseException as err:
        await session.close_tasks()
        session.pipeline.close()
        if isinstance(err, SdkError):
            on_error(err)
        raise


def aligned(engine: PlaybackEngine, position: float) -> float:
    """A live start or seek at the start of the video segment holding ``position``."""
    assert engine.live is not None
    index = period_at(engine.periods, position)
    video = [c for c in engine.periods[index].tracks if c.kind is TrackKind.VIDEO]
    if not video:
        return position
    return engine.live.segment_start(video[0].representations[0], position)


def seek_target(engine: PlaybackEngine, position: float) -> float:
    """Where a seek to ``position`` lands: inside the DVR window on a segment start (live),
    before the end (on demand), never before 0."""
    target = max(0.0, float(position))
    if engine.live is not None and not engine.live.ended:
        return aligned(engine, engine.live.timeline.seek(engine.live.wall(), target))
    if engine.duration is not None:
        return min(target, max(0.0, engine.duration - 0.001))
    return target


def live_window(engine: PlaybackEngine | None) -> tuple[float, float] | None:
    """The DVR window ``(start, edge)`` on the MPD timeline now (None: not live)."""
    if engine is None or engine.live is None:
        return None
    w = engine.live.timeline.window(engine.live.wall())
    return w.dvr_start, w.edge


def edge_position(engine: PlaybackEngine) -> float:
    """The live edge: the target latency behind now."""
    assert engine.live is not None
    return engine.live.timeline.start_position(engine.live.wall())
