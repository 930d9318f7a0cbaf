"""The playback engine on its own (no Player, no Play API): a local OCA that records what it
is asked, clear packaged media, CMCD on segment requests, stalls in real-time mode (on
virtual time: late media is late by virtual seconds, so a busy machine changes nothing)."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import abr.registry
from fake_backend.packager.frame_id import read_frame_id
from manifest import parse_mpd
from nrdp.channels.http import Channel
from nrdp.clock import MonotonicClock
from nrdp.cmcd import parse_payload
from nrdp.config import (
    BufferConfig,
    CmcdConfig,
    DeviceCapabilities,
    PlaybackChannelConfig,
    PlayerConfig,
)
from nrdp.delivery.downloader import Downloader
from nrdp.delivery.oca import Oca, OcaSelector
from nrdp.events import Event, FramesRendered, RebufferEnded, RebufferStarted
from nrdp.media.pipeline import MediaPipeline
from nrdp.media.sinks import HashSink
from nrdp.scheduler.decisions import DRY_S
from nrdp.scheduler.loop import PlaybackEngine
from nrdp.scheduler.monitor import TICK, Monitor
from nrdp.scheduler.tracks import select_tracks
from nrdp.state import PlayerEvent, PlayerState
from nrdp.testing import VirtualClock


class LateDownloader:
    """Every download completes ``delay`` virtual seconds after its bytes arrived."""

    def __init__(self, inner: Downloader, clock: VirtualClock, delay: float) -> None:
        self.inner, self.clock, self.delay = inner, clock, delay

    async def fetch(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        res = await self.inner.fetch(*args, **kwargs)
        await self.clock.sleep(self.delay)
        return res


@pytest.fixture
async def local_oca(make_backend, nb):  # type: ignore[no-untyped-def]
    """A one-route OCA over the clear origin tree that records every request."""
    be = await make_backend(encrypted=False, ocas=1)
    root = be.origin.file_path(nb.TITLE.id, "manifest.mpd").parent
    seen: list[web.Request] = []
    delay = {"s": 0.0}

    async def serve(request: web.Request) -> web.StreamResponse:
        seen.append(request)
        if delay["s"]:
            await asyncio.sleep(delay["s"])
        return web.FileResponse(root / request.match_info["path"])

    app = web.Application()
    app.router.add_get("/t/{path:.+}", serve)
    srv = TestServer(app, host="127.0.0.1")
    await srv.start_server()
    yield srv, seen, delay, (root / "manifest.mpd").read_bytes()
    await srv.close()


async def run_engine(srv, mpd_bytes, config, sink, events, clock=None, late=0.0, slow_first=0.0):  # type: ignore[no-untyped-def]
    clock = clock if clock is not None else VirtualClock()
    base = str(srv.make_url("/t/"))
    manifest = parse_mpd(mpd_bytes, base + "manifest.mpd")
    tracks = select_tracks(manifest, DeviceCapabilities())
    async with Channel(PlaybackChannelConfig()) as ch:
        pipe = MediaPipeline()
        downloader = Downloader(ch, OcaSelector([Oca("local", base)]))
        engine = PlaybackEngine(
            tracks=tracks,
            downloader=LateDownloader(downloader, clock, late) if late else downloader,  # type: ignore[arg-type]
            pipeline=SlowFirstPicture(pipe, clock, slow_first) if slow_first else pipe,  # type: ignore[arg-type]
            abr=abr.registry.create("throughput"),
            sink=sink,
            config=config,
            clock=clock,
            emit=events.append,
            duration=manifest.media_presentation_duration,
            content_id="t-real",
            session_id="pb-1",
        )
        engine.process(PlayerEvent.LOAD)
        engine.reset_for(0.0)
        engine.process(PlayerEvent.LOADED)
        try:
            await asyncio.wait_for(engine.run(), 30)
        finally:
            pipe.close()
    return engine


async def test_cmcd_travels_on_every_segment_request(local_oca, nb):
    srv, seen, _, mpd = local_oca
    sink, events = HashSink(read_frame_id), []
    cfg = PlayerConfig(realtime=False, cmcd=CmcdConfig(enabled=True))
    engine = await run_engine(srv, mpd, cfg, sink, events)
    assert engine.state.state is PlayerState.ENDED
    assert sink.frame_ids == list(range(nb.FRAMES))
    media = [r for r in seen if r.path.endswith(".m4s")]
    assert len(media) == 8
    for r in media:
        data = parse_payload(r.query["CMCD"])
        assert data["sid"] == "pb-1" and data["cid"] == "t-real" and data["sf"] == "d"
        assert data["ot"] == ("v" if "/v" in r.path else "a")
        assert data["br"] > 0 and 990 <= data["d"] <= 1010  # audio frames round the 1 s grid


async def test_realtime_playback_stalls_and_recovers_when_media_is_late(local_oca, nb):
    srv, _seen, _delay, mpd = local_oca
    sink, events = HashSink(read_frame_id), []
    cfg = PlayerConfig(buffer=BufferConfig(start=0.5, rebuffer=0.5, target=1.0, max_ahead=2.0))
    clock = VirtualClock()
    # every download takes 0.6 virtual s: 1 s segments of two tracks arrive just too late
    engine = await run_engine(srv, mpd, cfg, sink, events, clock=clock, late=0.6)
    assert engine.state.state is PlayerState.ENDED
    assert sink.frame_ids == list(range(nb.FRAMES))  # none dropped: decoding takes no time
    assert engine.frames_dropped == 0
    started = [e for e in events if isinstance(e, RebufferStarted)]
    ended = [e for e in events if isinstance(e, RebufferEnded)]
    assert started and len(ended) == len(started)
    assert all(e.duration > 0 for e in ended)
    assert clock.now() > nb.FRAMES / nb.FPS  # it played in (virtual) real time, with stalls


async def test_the_monitor_sleeps_while_playing_instead_of_every_tick(local_oca, nb, monkeypatch):
    """While playing, the monitor wakes when a track could first run dry or a frame count is
    due (each wake-up of the loop costs CPU), not every ``TICK``."""
    steps: list[float] = []
    step = Monitor.step

    def counted(self: Monitor) -> None:
        steps.append(self.engine.clock.now())
        step(self)

    monkeypatch.setattr(Monitor, "step", counted)
    srv, _seen, _delay, mpd = local_oca
    cfg = PlayerConfig(buffer=BufferConfig(start=0.5, rebuffer=0.5, target=4.0, max_ahead=8.0))
    clock, events = VirtualClock(), list[Event]()
    engine = await run_engine(srv, mpd, cfg, HashSink(read_frame_id), events, clock=clock)
    assert engine.state.state is PlayerState.ENDED and engine.frames_dropped == 0
    assert not [e for e in events if isinstance(e, RebufferStarted)]
    assert len(steps) < clock.now() / TICK / 4  # 50 a second before
    reports = [e.at for e in events if isinstance(e, FramesRendered)]
    assert len(reports) >= int(clock.now() / 0.5) - 1  # the frame counts still every 0.5 s


async def test_a_stall_is_caught_within_a_tick_of_the_playhead_reaching_the_media_end(
    local_oca, nb
):
    """The monitor sleeping while playing does not delay a stall: each is caught as the
    playhead reaches the end of what is buffered (1 s segments, arriving 0.6 s late)."""
    srv, _seen, _delay, mpd = local_oca
    late = PlayerConfig(buffer=BufferConfig(start=0.5, rebuffer=0.5, target=1.0, max_ahead=2.0))
    clock, events = VirtualClock(), list[Event]()
    await run_engine(srv, mpd, late, HashSink(read_frame_id), events, clock=clock, late=0.6)
    started = [e for e in events if isinstance(e, RebufferStarted)]
    assert started
    for e in started:  # ran dry at a segment's end (audio segments end near the 1 s grid)
        assert abs(e.position - round(e.position)) <= DRY_S + TICK + 0.01, e


@pytest.mark.realtime
async def test_realtime_playback_on_the_wall_clock_presents_every_frame_once(local_oca, nb):
    """On the real clock only what load cannot change: each frame at most once, in order,
    and the end is reached (a busy machine may drop late frames)."""
    srv, _seen, _delay, mpd = local_oca
    sink, events = HashSink(read_frame_id), []
    cfg = PlayerConfig(buffer=BufferConfig(start=0.5, rebuffer=0.5, target=1.0, max_ahead=2.0))
    engine = await run_engine(srv, mpd, cfg, sink, events, clock=MonotonicClock())
    assert engine.state.state is PlayerState.ENDED
    assert sink.frame_ids == sorted(set(sink.frame_ids))
    assert len(sink.frame_ids) + engine.frames_dropped == nb.FRAMES


class SlowFirstPicture:
    """The first video segment's first picture takes ``delay`` virtual seconds to decode
    (a key check or a busy machine); everything else as ``inner``."""

    def __init__(self, inner: MediaPipeline, clock: VirtualClock, delay: float) -> None:
        self.inner, self.clock, self.delay = inner, clock, delay

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)

    def stream(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        stream, delay, self.delay = self.inner.stream(*args, **kwargs), self.delay, 0.0
        clock = self.clock

        class Slow:
            async def next_part(self):  # type: ignore[no-untyped-def]
                nonlocal delay
                if delay:
                    await clock.sleep(delay)
                    delay = 0.0
                return await stream.next_part()

            async def aclose(self) -> None:
                await stream.aclose()

        return Slow()


async def test_a_slow_first_decode_holds_the_clock_instead_of_dropping_pictures(local_oca, nb):
    srv, _seen, _delay, mpd = local_oca
    sink, events = HashSink(read_frame_id), []
    cfg = PlayerConfig(buffer=BufferConfig(start=0.5, rebuffer=0.5, target=2.0, max_ahead=3.0))
    engine = await run_engine(srv, mpd, cfg, sink, events, clock=VirtualClock(), slow_first=1.0)
    assert engine.state.state is PlayerState.ENDED
    assert engine.frames_dropped == 0  # the clock started with the first picture in hand
    assert sink.frame_ids == list(range(nb.FRAMES))
    assert not [e for e in events if isinstance(e, RebufferStarted)]
