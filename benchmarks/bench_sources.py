"""Open-source benchmarks: Period transitions and SegmentBase startup.

Content is packaged once per run by the packager (H.264/AAC, CENC with ClearKey keys handed
to :class:`~nrdp.source.DashSource`) and served as static files by aiohttp on loopback
(byte ranges included, as a CDN would), so the player runs the open-source route.

- Period transition: a 2-Period MPD (Period 2 has another ladder, a new key and a
  presentationTimeOffset) played in real time to its end. The figure is the wall-clock
  interval between the last frame of Period 1 and the first frame of Period 2 reaching the
  sink; the baseline is the median interval between all other consecutive frames (the steady
  cadence), so a ratio near 1 means the boundary costs nothing. A second row counts frames
  lost or repeated at the boundary from the presentation times (target 0); the notes carry
  the presentation-time gap against the nominal frame duration and the stall count.
- Startup: ``load()`` until the sink receives the first video frame (fast mode), for the
  same media packaged as SegmentBase + sidx (on-demand profile: ranged init, sidx, ranged
  media) and as SegmentTemplate; loads alternate between the two. Figure: SegmentBase p50;
  baseline: SegmentTemplate p50; ``extra.segbase_over_template`` is the ratio.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from aiohttp import web

from benchmarks.harness import Result, benchmark, scaled
from fake_backend.packager import encode_title
from fake_backend.packager.catalog_specs import AudioTrackSpec, PackageSpec
from fake_backend.packager.options import PackageOptions
from fake_backend.packager.package import package_title
from fake_backend.packager.periods import PeriodPart, package_periods
from fake_backend.packager.spec import TEST_LADDER
from nrdp import ClearKey, DashSource, Device, DeviceConfig, NullSink, Player, PlayerConfig
from nrdp.media.sinks import VideoFrame

FPS = 24
PERIOD_S = scaled(4.0, 1.0)
STARTUP_S = scaled(6.0, 2.0)
LOADS = scaled(9, 1)
KIDS_1 = {"video": b"\x51" * 16, "audio": b"\x52" * 16}
KIDS_2 = {"video": b"\x53" * 16, "audio": b"\x54" * 16}
KEYS = {kid: bytes([kid[0] ^ 0xA5]) * 16 for kid in (*KIDS_1.values(), *KIDS_2.values())}
T = TypeVar("T")


def _spec(title_id: str, seconds: float, rungs: slice, first_frame: int = 0) -> PackageSpec:
    return PackageSpec(
        title_id,
        title_id,
        seconds,
        TEST_LADDER[rungs],
        fps=FPS,
        segment_duration_s=1.0,
        audio=(AudioTrackSpec("a64", bitrate_kbps=64),),
        first_frame_id=first_frame,
        picture="gradient",
    )


class _Timed(NullSink):
    """Every video frame's presentation time and the moment it reached the sink."""

    def __init__(self) -> None:
        self.frames: list[tuple[float, float]] = []
        self.first = asyncio.Event()

    def on_video(self, frame: VideoFrame) -> None:
        self.frames.append((frame.pts, time.perf_counter()))
        self.first.set()


async def _serving(root: Path, body: Callable[[str], Awaitable[T]]) -> T:
    app = web.Application()
    app.router.add_static("/", root)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        return await body(f"http://127.0.0.1:{port}/")
    finally:
        await runner.cleanup()


def _source(url: str) -> DashSource:
    return DashSource(url, drm=ClearKey(license_url=None, keys=KEYS))


@dataclass(frozen=True)
class _Transition:
    boundary_wall_s: float
    steady_wall_s: float
    pts_gap_s: float
    lost: int
    repeated: int
    stalls: int
    periods: int
    frames: int


def _transition(frames: list[tuple[float, float]], boundary: float) -> tuple[float, float, float]:
    """(boundary wall interval, median other wall interval, boundary pts gap)."""
    i = next(k for k, (pts, _) in enumerate(frames) if pts >= boundary - 1e-6)
    walls = [b[1] - a[1] for a, b in itertools.pairwise(frames)]
    steady = statistics.median(walls[: i - 1] + walls[i:])
    return walls[i - 1], steady, frames[i][0] - frames[i - 1][0]


@contextlib.asynccontextmanager
async def _player(sink: _Timed, *, realtime: bool) -> AsyncIterator[Player]:
    """A player of a fresh device (no backend: open sources only), closed afterwards."""
    cfg = DeviceConfig("nrdp-bench-sources-0001", "http://127.0.0.1:9")
    async with Device(cfg) as dev:
        config = PlayerConfig(realtime=realtime, telemetry=False, bookmarks=False)
        player = dev.player(sink=sink, config=config)
        try:
            yield player
        finally:
            await player.close()


async def _play_periods(url: str) -> _Transition:
    sink = _Timed()
    async with _player(sink, realtime=True) as player:
        await player.load(_source(url))
        await player.wait_until_done(timeout=PERIOD_S * 2 + 60)
        stats, periods = player.stats(), player.periods_played
    frames = sorted(sink.frames)
    wall, steady, gap = _transition(frames, PERIOD_S)
    pts = [round(p * FPS) for p, _ in frames]
    expected = round(2 * PERIOD_S * FPS)
    return _Transition(
        boundary_wall_s=wall,
        steady_wall_s=steady,
        pts_gap_s=gap,
        lost=expected - len(set(pts)),
        repeated=len(pts) - len(set(pts)),
        stalls=stats.stall_count,
        periods=periods,
        frames=len(frames),
    )


def _period_results(tr: _Transition) -> list[Result]:
    nominal = 1 / FPS
    note = (
        f"2 Periods of {PERIOD_S:g} s ({FPS} fps; Period 2: another ladder, new key, "
        f"presentationTimeOffset), real time; presentation-time gap at the boundary "
        f"{tr.pts_gap_s * 1000:.1f} ms vs nominal {nominal * 1000:.1f} ms; "
        f"{tr.stalls} stalls; {tr.periods} Periods played; {tr.frames} frames"
    )
    return [
        Result(
            name="Period transition: frame interval at the boundary",
            figure=tr.boundary_wall_s * 1000,
            unit="ms",
            baseline_name="median frame interval elsewhere",
            baseline=tr.steady_wall_s * 1000,
            notes=note,
            extra={
                "pts_gap_ms": tr.pts_gap_s * 1000,
                "nominal_frame_ms": nominal * 1000,
                "stall_count": tr.stalls,
                "periods_played": tr.periods,
            },
        ),
        Result(
            name="Period transition: frames lost or repeated",
            figure=float(tr.lost + tr.repeated),
            unit="frames",
            notes=f"target 0; lost {tr.lost}, repeated {tr.repeated}",
            extra={"lost": tr.lost, "repeated": tr.repeated},
        ),
    ]


async def _first_frame_s(url: str) -> float:
    sink = _Timed()
    async with _player(sink, realtime=False) as player:
        t0 = time.perf_counter()
        await player.load(_source(url))
        await asyncio.wait_for(sink.first.wait(), 30)
    return sink.frames[0][1] - t0


async def _startups(base: str) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"segbase": [], "template": []}
    await _first_frame_s(base + "template/manifest.mpd")  # warm-up: imports, decoder pool
    for _ in range(LOADS):
        for name in out:
            out[name].append(await _first_frame_s(f"{base}{name}/manifest.mpd"))
    return out


def _startup_result(runs: dict[str, list[float]]) -> Result:
    seg, tpl = statistics.median(runs["segbase"]), statistics.median(runs["template"])
    return Result(
        name="startup load() -> first frame p50, SegmentBase",
        figure=seg * 1000,
        unit="ms",
        baseline_name="same media as SegmentTemplate",
        baseline=tpl * 1000,
        notes=f"{LOADS} loads each, alternating, fast mode, {STARTUP_S:g} s title; "
        f"SegmentBase/SegmentTemplate = {seg / tpl:.2f} (SegmentBase adds the sidx request)",
        extra={"segbase_over_template": seg / tpl, "template_ms": tpl * 1000},
    )


def _package(root: Path) -> None:
    first = _spec("t-src-p1", PERIOD_S, slice(0, 2))
    second = _spec("t-src-p2", PERIOD_S, slice(1, 3), first_frame=round(PERIOD_S * FPS))
    package_periods(
        [
            PeriodPart(first, KIDS_1),
            PeriodPart(second, KIDS_2, PackageOptions(media_time_offset_s=10.0)),
        ],
        root / "periods",
        keys=KEYS,
    )
    spec = _spec("t-src-start", STARTUP_S, slice(0, 2))
    encoded = encode_title(spec.title_spec())
    for name, on_demand in (("segbase", True), ("template", False)):
        package_title(
            spec,
            root / name,
            kids=KIDS_1,
            keys=KEYS,
            encoded=encoded,
            poster=False,
            options=PackageOptions(on_demand=on_demand),
        )


@benchmark
def period_transition_and_segbase_startup() -> list[Result]:
    """A Period boundary's cost in real time; SegmentBase vs SegmentTemplate startup."""
    with tempfile.TemporaryDirectory(prefix="nrdp-bench-sources-") as tmp:
        root = Path(tmp)
        _package(root)

        async def run(base: str) -> tuple[_Transition, dict[str, list[float]]]:
            return await _play_periods(base + "periods/manifest.mpd"), await _startups(base)

        tr, runs = asyncio.run(_serving(root, run))
    return [*_period_results(tr), _startup_result(runs)]
