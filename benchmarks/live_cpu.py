"""CPU while following a 1080p live channel vs the same title on demand (``live.live_cpu``).

Both are the same kind of packaged title (one 1080p rung + AAC, 2 s segments, CENC, the
same encoder settings, the same length): once published as a live channel (SegmentTimeline
+ ``$Time$``, looped in real time, MPD refreshed every segment, UTCTiming), once as an
on-demand title. Each plays in real time from its first frame: the channel for
``LIVE_PLAY_S``, the on-demand title to its end. The figure is the player process's CPU
seconds per media second played (``time.process_time()`` over that span minus the fake
backend's share, which runs on its own thread: serving segments is no device's cost); the
ratio is on-demand / live, so 1 means "live costs no more per media second than on demand",
below 1 is the live overhead (refreshes, clock, availability waits, the live tick).

``NRDP_BENCH_SMOKE=1``: a 4 s 240p loop, 4 s of each (the figures mean nothing there).
"""

from __future__ import annotations

import asyncio
import gc
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.bench_nrdp import _BackendThread  # the backend's CPU told apart
from benchmarks.harness import Result, scaled
from fake_backend.catalog import short_title
from fake_backend.live.channel import ChannelConfig
from fake_backend.packager import PackagerMaterializer
from fake_backend.runner import Backend
from nrdp import Device, DeviceConfig, NullSink, PlayerConfig, VideoFrame

__all__ = ["Spent", "live_cpu_results"]

RUNG = scaled("v1080", "v240")
LOOP_S = scaled(12.0, 4.0)
LIVE_PLAY_S = scaled(24.0, 4.0)
SEGMENT_S = 2.0
CHANNEL = ChannelConfig(
    "live-bench-hd", "Live: bench HD", "time", segment_s=SEGMENT_S, loop_s=LOOP_S, rungs=(RUNG,)
)
VOD = short_title(
    "t-bench-vod-hd",
    (b"\x51" * 16, b"\x52" * 16),
    rungs=(RUNG,),
    duration_s=LOOP_S,
    segment_duration_s=SEGMENT_S,
)
CFG = PlayerConfig(realtime=True, telemetry=False, bookmarks=False)


class _FirstFrame(NullSink):
    """Notes when the first picture arrives (where the measured span starts)."""

    def __init__(self) -> None:
        super().__init__()
        self.got = asyncio.Event()
        self.frames = 0

    def on_video(self, frame: VideoFrame) -> None:
        self.frames += 1
        self.got.set()


@dataclass(frozen=True)
class Spent:
    """CPU seconds (the player's, backend excluded) over ``media_s`` seconds played."""

    cpu_s: float
    media_s: float
    frames: int
    stalls: int
    dropped: int

    @property
    def per_media_s(self) -> float:
        return self.cpu_s / self.media_s if self.media_s > 0 else float("nan")


async def _play(dev: Device, runner: _BackendThread, title: str, live: bool) -> Spent:
    """Load ``title``, then measure from its first frame: ``LIVE_PLAY_S`` of a channel, an
    on-demand title to its end."""
    sink = _FirstFrame()
    player = dev.player(sink=sink, config=CFG)
    await player.load(title)
    await asyncio.wait_for(sink.got.wait(), 60)
    gc.collect()
    c0, b0, p0, f0 = time.process_time(), runner.cpu(), player.position, sink.frames
    if live:
        await asyncio.sleep(LIVE_PLAY_S)
    else:
        await player.wait_until_done(timeout=LOOP_S * 4)
    cpu = time.process_time() - c0 - (runner.cpu() - b0)
    media = player.position - p0
    stats = player.stats()
    await player.stop()
    return Spent(cpu, media, sink.frames - f0, stats.stall_count, stats.dropped_frames)


async def _run() -> tuple[Spent, Spent]:
    with tempfile.TemporaryDirectory() as tmp:
        runner = _BackendThread(
            Backend(
                Path(tmp) / "data",
                catalog=[VOD],
                live=(CHANNEL,),
                materializer=PackagerMaterializer(posters=False),
                ocas=2,
            )
        )
        async with (
            runner as be,
            Device(DeviceConfig("nrdp-bench-live-0002", be.gateway_url)) as dev,
        ):
            await dev.login(be.demo_email, be.demo_password)
            live = await _play(dev, runner, CHANNEL.id, live=True)
            vod = await _play(dev, runner, VOD.id, live=False)
    return live, vod


def live_cpu_results() -> list[Result]:
    live, vod = asyncio.run(_run())
    return [
        Result(
            f"live CPU per media second ({RUNG} channel, real time)",
            live.per_media_s,
            "cpu-s/s",
            f"on-demand {RUNG} title, same run",
            vod.per_media_s,
            notes=(
                f"live {live.media_s:.1f} media s, {live.cpu_s:.2f} cpu s, {live.stalls} stalls,"
                f" {live.dropped} dropped; on-demand {vod.media_s:.1f} media s,"
                f" {vod.cpu_s:.2f} cpu s, {vod.stalls} stalls, {vod.dropped} dropped;"
                " backend thread excluded"
            ),
            extra={"live": vars(live), "vod": vars(vod)},
        )
    ]
