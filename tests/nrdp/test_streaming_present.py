"""Video decoded in parts with a bounded look-ahead: the pipeline's :class:`FrameStream`
(backpressure, cancel mid-segment, closing the session under a blocked worker) and the
presenter that consumes it (frames in order, pictures held, cancel mid-segment)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import abr.registry
from fake_backend.packager.frame_id import read_frame_id
from manifest import parse_mpd
from nrdp.channels.http import Channel
from nrdp.clock import MonotonicClock
from nrdp.config import DeviceCapabilities, DeviceConfig, PlaybackChannelConfig, PlayerConfig
from nrdp.delivery.downloader import Downloader
from nrdp.delivery.oca import Oca, OcaSelector
from nrdp.device import Device
from nrdp.media.pipeline import MediaPipeline
from nrdp.media.sinks import HashSink, VideoFrame
from nrdp.playback.license import acquire_license
from nrdp.playback.play_api import fetch_playback_manifest
from nrdp.scheduler import presenter
from nrdp.scheduler.loop import PlaybackEngine
from nrdp.scheduler.tracks import select_tracks
from nrdp.state import PlayerEvent, PlayerState


def media_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("nrdp-media")]


async def until(cond: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait (polling the loop) until ``cond()`` holds; fails the test after ``timeout``."""
    async with asyncio.timeout(timeout):
        while not cond():
            await asyncio.sleep(0.005)


@pytest.fixture
async def clear_media(backend, nb):
    """A pipeline with the title's keys, and the clear init and segment 1 of v360."""
    async with Device(DeviceConfig("nrdp-stream-device-0001", backend.gateway_url)) as dev:
        await dev.login(backend.demo_email, backend.demo_password)
        pm = await fetch_playback_manifest(dev.playback, dev.auth, nb.TITLE.id)
        keys = await acquire_license(dev.playback, dev.auth, pm, pm.kids)
    pipe = MediaPipeline(keys)
    root = backend.origin.file_path(nb.TITLE.id, "v360/init.mp4").parent
    init = await pipe.prepare_init("v360", (root / "init.mp4").read_bytes())
    clear = await pipe.decrypt(init, (root / "seg-1.m4s").read_bytes())
    try:
        yield pipe, init, clear
    finally:
        pipe.close()
    assert not media_threads()


async def test_a_stream_decodes_at_most_ahead_pictures_before_they_are_taken(clear_media, nb):
    pipe, init, clear = clear_media
    whole = await pipe.decode(init, clear, kind="video", number=1, digests=True)
    assert len(whole.video) == nb.FRAMES // 4 > 3
    stream = pipe.stream(init, clear, kind="video", number=1, digests=True, chunk=2, ahead=3)
    part = await stream.next_part()
    assert part is not None and part.frames == 1
    frames = list(part.video)
    await until(lambda: stream.held == 3)  # the worker filled the look-ahead...
    await asyncio.sleep(0.2)  # ...and waits there (10 small pictures decode in ~10 ms)
    assert stream.held == 3 and pipe.held == 3 and pipe.streams == 1
    while (part := await stream.next_part()) is not None:
        assert 1 <= part.frames <= 2 and stream.held <= 3
        frames.extend(part.video)
    assert [(f.pts, f.digest) for f in frames] == [(f.pts, f.digest) for f in whole.video]
    assert stream.peak == 3
    await stream.aclose()
    assert pipe.streams == 0 and pipe.held == 0


async def test_cancelling_the_consumer_mid_segment_stops_the_blocked_worker(clear_media):
    pipe, init, clear = clear_media
    got: list[VideoFrame] = []

    async def consume() -> None:
        async with pipe.stream(init, clear, kind="video", number=1, ahead=2) as stream:
            part = await stream.next_part()
            assert part is not None
            got.extend(part.video)
            await asyncio.Event().wait()  # a presenter paused forever

    task = asyncio.create_task(consume())
    await until(lambda: pipe.held == 2)  # the worker is blocked on the bound
    assert pipe.streams == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert pipe.streams == 0 and pipe.held == 0  # the worker has left, nothing held
    assert len(got) == 1
    again = await pipe.decode(init, clear, kind="video", number=1)  # the pool still works
    assert again.video[0].pts == got[0].pts


async def test_closing_the_pipeline_under_a_blocked_stream_cancels_its_consumer(clear_media):
    pipe, init, clear = clear_media
    stream = pipe.stream(init, clear, kind="video", number=1, ahead=2)
    first = await stream.next_part()
    assert first is not None and first.frames == 1
    await until(lambda: stream.held == 2)  # one picture taken, one queued: the worker waits
    await asyncio.wait_for(asyncio.to_thread(pipe.close), 10)  # never waits for a consumer
    assert not media_threads()
    rest: list[VideoFrame] = []
    with pytest.raises(asyncio.CancelledError):
        while (part := await stream.next_part()) is not None:
            rest.extend(part.video)
    assert len(rest) == 1 and rest[0].pts > first.video[0].pts  # decoded before the close
    await stream.aclose()


# ------------------------------------------------------------------ the presenter


@pytest.fixture
async def clear_oca(make_backend, nb):
    """A one-route OCA over the clear origin tree, and the MPD."""
    be = await make_backend(encrypted=False, ocas=1)
    root = be.origin.file_path(nb.TITLE.id, "manifest.mpd").parent

    async def serve(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(root / request.match_info["path"])

    app = web.Application()
    app.router.add_get("/t/{path:.+}", serve)
    srv = TestServer(app, host="127.0.0.1")
    await srv.start_server()
    yield srv, (root / "manifest.mpd").read_bytes()
    await srv.close()


class _HeldSink(HashSink):
    """Records, at every picture, how many pictures the pipeline holds decoded ahead; a
    slow renderer (``delay`` seconds per picture) lets the decoders run ahead."""

    def __init__(self, pipe: MediaPipeline, delay: float = 0.0) -> None:
        super().__init__(read_frame_id)
        self.pipe = pipe
        self.delay = delay
        self.held: list[int] = []

    def on_video(self, frame: VideoFrame) -> None:
        super().on_video(frame)
        self.held.append(self.pipe.held)
        if self.delay:
            time.sleep(self.delay)


def _engine(
    srv: Any, mpd: bytes, ch: Channel, pipe: MediaPipeline, sink: Any, cfg: PlayerConfig
) -> PlaybackEngine:
    base = str(srv.make_url("/t/"))
    manifest = parse_mpd(mpd, base + "manifest.mpd")
    engine = PlaybackEngine(
        tracks=select_tracks(manifest, DeviceCapabilities()),
        downloader=Downloader(ch, OcaSelector([Oca("local", base)])),
        pipeline=pipe,
        abr=abr.registry.create("throughput"),
        sink=sink,
        config=cfg,
        clock=MonotonicClock(),
        emit=lambda _: None,
        duration=manifest.media_presentation_duration,
    )
    engine.process(PlayerEvent.LOAD)
    engine.reset_for(0.0)
    engine.process(PlayerEvent.LOADED)
    return engine


async def test_presenter_holds_a_bounded_number_of_pictures_and_decodes_the_next_ahead(
    clear_oca, nb, monkeypatch
):
    monkeypatch.setattr(presenter, "AHEAD_FRAMES", 3)
    monkeypatch.setattr(presenter, "PART_FRAMES", 2)
    srv, mpd = clear_oca
    async with Channel(PlaybackChannelConfig()) as ch:
        pipe = MediaPipeline()
        sink = _HeldSink(pipe, delay=0.005)
        cfg = PlayerConfig(realtime=False, autoplay=False)
        engine = _engine(srv, mpd, ch, pipe, sink, cfg)
        video = next(t for t in engine.tracks if t.kind.value == "video")
        run = asyncio.create_task(engine.run())
        try:
            await until(lambda: video.buffer.end_of_stream)  # paused: all of it prefetched
            assert sink.video_frames == 0
            engine.process(PlayerEvent.PLAY)
            await asyncio.wait_for(run, 30)
        finally:
            run.cancel()
            pipe.close()
    assert engine.state.state is PlayerState.ENDED
    assert sink.frame_ids == list(range(nb.FRAMES))  # every frame once, in order
    assert sink.video_pts == pytest.approx([i / nb.FPS for i in range(nb.FRAMES)])
    assert max(sink.held) <= 2 * 3  # this segment's look-ahead and the next one's
    assert max(sink.held) > 3  # the next segment decodes while this one is presented
    assert pipe.streams == 0 and pipe.decoded >= 8  # 4 video + 4 audio segments
    assert not media_threads()


async def test_cancelling_playback_mid_segment_leaves_no_worker(clear_oca, nb, monkeypatch):
    monkeypatch.setattr(presenter, "AHEAD_FRAMES", 2)
    srv, mpd = clear_oca
    async with Channel(PlaybackChannelConfig()) as ch:
        pipe = MediaPipeline()
        sink = _HeldSink(pipe)
        engine = _engine(srv, mpd, ch, pipe, sink, PlayerConfig(realtime=True))
        run = asyncio.create_task(engine.run())
        try:
            await until(lambda: sink.video_frames >= 3)  # in real time: mid segment 1
            assert pipe.streams >= 1  # segment 1's worker waits for the presenter
            run.cancel()
            with pytest.raises(asyncio.CancelledError):
                await run
            assert pipe.streams == 0 and pipe.held == 0  # stopped before run() returned
            shown = sink.video_frames
            await asyncio.sleep(0.2)
            assert sink.video_frames == shown < nb.FRAMES
        finally:
            pipe.close()
    assert not media_threads()
    assert sink.frame_ids == list(range(len(sink.frame_ids)))
