"""Live benchmarks: distance to the live edge while playing, and load() -> first frame at
the edge.

Against a real fake backend on loopback: its ``live-news`` channel (SegmentTimeline +
``$Time$``, 2 s segments, CENC, suggestedPresentationDelay 6 s) and, for the baseline, the
same packaged short title on demand. Real time (live is paced by the wall clock).

- live latency median / p95: ``now - position`` sampled once a second by the player
  (``StatsSnapshot.live_latency_s``) over ``PLAY_S`` seconds of playback; baseline: the
  target latency (the MPD's suggestedPresentationDelay). Ratio ``target / figure``: 1 is
  "holding the target", above 1 closer to the edge than asked.
- load() -> first frame at the edge: from ``Player.load()`` until the sink receives the first
  video frame (Play API + MPD + UTCTiming sync + license + init + the segment at the edge +
  decode), median of ``LOADS``; baseline: the same for the on-demand short title (no clock
  sync, no availability wait).

``NRDP_BENCH_SMOKE=1`` runs a seconds-long version (fewer loads, a short play).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.harness import Result, benchmark
from fake_backend.catalog import short_title
from fake_backend.live.service import default_channels
from fake_backend.packager import PackagerMaterializer
from fake_backend.runner import Backend
from nrdp import Device, DeviceConfig, NullSink, PlayerConfig, Sink, VideoFrame

SMOKE = os.environ.get("NRDP_BENCH_SMOKE") == "1"
PLAY_S = 6.0 if SMOKE else 40.0
LOADS = 2 if SMOKE else 5
CHANNEL = "live-news"
VOD = short_title("t-live-vod", (b"\x31" * 16, b"\x32" * 16))
CFG = PlayerConfig(telemetry=False, bookmarks=False)


class FirstFrame(NullSink):
    """Notes when the first video frame arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.first: float | None = None
        self.got = asyncio.Event()

    def on_video(self, frame: VideoFrame) -> None:
        if self.first is None:
            self.first = time.perf_counter()
            self.got.set()


async def _first_frame(dev: Device, title: str) -> float:
    sink = FirstFrame()
    player = dev.player(sink=sink, config=CFG)
    t0 = time.perf_counter()
    await player.load(title)
    await asyncio.wait_for(sink.got.wait(), 30)
    await player.stop()
    assert sink.first is not None
    return sink.first - t0


async def _follow(dev: Device) -> tuple[dict[str, float | None], float, int, int]:
    sink: Sink = NullSink()
    player = dev.player(sink=sink, config=CFG)
    await player.load(CHANNEL)
    engine = player.engine
    assert engine is not None and engine.live is not None
    target = engine.live.timeline.target(engine.live.wall())
    await asyncio.sleep(PLAY_S)
    stats = player.stats()
    await player.stop()
    assert stats.live_latency_s is not None
    return dict(stats.live_latency_s), target, stats.stall_count, stats.edge_jumps


async def _run() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        be = Backend(
            Path(tmp) / "data",
            catalog=[VOD],
            live=default_channels(),
            materializer=PackagerMaterializer(),
            ocas=2,
        )
        async with be, Device(DeviceConfig("nrdp-bench-live-0001", be.gateway_url)) as dev:
            await dev.login(be.demo_email, be.demo_password)
            live_ff = [await _first_frame(dev, CHANNEL) for _ in range(LOADS)]
            vod_ff = [await _first_frame(dev, VOD.id) for _ in range(LOADS)]
            latency, target, stalls, jumps = await _follow(dev)
    note = f"{PLAY_S:g} s of live-news (2 s segments); stalls {stalls}, edge jumps {jumps}"
    rows = []
    for key in ("median", "p95"):
        value = latency[key]
        rows.append(
            Result(
                f"live latency {key} (distance to the edge while playing)",
                value if value is not None else float("nan"),
                "s",
                "target latency (suggestedPresentationDelay)",
                target,
                notes=note,
            )
        )
    rows.append(
        Result(
            "live load() -> first frame at the edge (median)",
            statistics.median(live_ff),
            "s",
            "on-demand title load() -> first frame (median)",
            statistics.median(vod_ff),
            notes=f"{LOADS} loads each; live includes the UTCTiming sync",
            extra={"live": live_ff, "vod": vod_ff},
        )
    )
    return rows


@benchmark
def live_edge() -> list[Result]:
    """Distance to the live edge (median, p95) and load() -> first frame at the edge."""
    return asyncio.run(_run())


@benchmark
def live_cpu() -> list[Result]:
    """Process CPU per media second following a 1080p live channel vs the same on demand."""
    from benchmarks.live_cpu import live_cpu_results  # sized at import, like this module

    return live_cpu_results()
