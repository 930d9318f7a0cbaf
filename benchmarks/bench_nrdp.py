"""nrdp benchmarks: startup (load() -> first frame) and the decode path's throughput.

Both run against a real fake backend on loopback with real CENC-encrypted H.264/AAC (a 4 s
title, two video rungs, 30 fps, packaged once at the start of the run).

- startup: p50 over several loads of ``Player.load()`` until the sink receives the first
  video frame (Play API + MPD + license + init + first segment + decrypt + decode), running
  as fast as possible. Baseline, same run: a bare aiohttp GET of the same init and first
  segment from the same OCA plus a raw PyAV decode of its first frame (the irreducible part,
  with no API calls, no decryption and no SDK).
- decode path: frames/s of ``MediaPipeline`` (decrypt in the worker pool, PyAV decode from
  memory through the pipeline's reused decoder contexts, frames with read-only luma views)
  over every video segment of the top rung, the median of several passes after a warm-up.
  Baseline: raw PyAV decoding of the same clear segments from memory in this thread
  (``av.open`` per segment, default decoder settings in both), no decryption. A second
  figure adds the SHA-1 luma digest per frame (what a ``HashSink`` asks for).
"""

from __future__ import annotations

import asyncio
import gc
import io
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import aiohttp
import av

from benchmarks.harness import Result, benchmark
from drm import decrypt_init, decrypt_segment
from fake_backend.catalog import short_title
from fake_backend.packager import (
    PackagerMaterializer,
    spec_for_title,
)
from fake_backend.runner import Backend
from nrdp import Device, DeviceConfig, NullSink, PlayerConfig
from nrdp.media.pipeline import ClearInit, MediaPipeline
from nrdp.playback.license import acquire_license
from nrdp.playback.play_api import fetch_playback_manifest

LOADS = 7
ROUNDS = 9
TITLE = short_title(
    "t-bench", (b"\x31" * 16, b"\x32" * 16), rungs=("v360", "v720"), segment_duration_s=2.0
)


SPEC = replace(spec_for_title(TITLE, ()), fps=30)  # the catalog row is authoritative


class _FirstFrame(NullSink):
    def __init__(self) -> None:
        self.at: float | None = None
        self.done = asyncio.Event()

    def on_video(self, frame: object) -> None:
        if self.at is None:
            self.at = time.perf_counter()
            self.done.set()


def _first_frame(data: bytes) -> None:
    with av.open(io.BytesIO(data), mode="r", format="mp4") as c:
        for _ in c.decode(video=0):
            return


async def _startup(be: Backend) -> tuple[list[float], list[float]]:
    sdk: list[float] = []
    bare: list[float] = []
    cfg = DeviceConfig("nrdp-bench-device-0001", be.gateway_url)
    async with Device(cfg) as dev, aiohttp.ClientSession() as http:
        await dev.login(be.demo_email, be.demo_password)
        for _ in range(LOADS):
            sink = _FirstFrame()
            player = dev.player(
                sink=sink, config=PlayerConfig(realtime=False, telemetry=False, bookmarks=False)
            )
            t0 = time.perf_counter()
            await player.load(TITLE.id)
            await asyncio.wait_for(sink.done.wait(), 30)
            assert sink.at is not None
            sdk.append(sink.at - t0)
            rung = player.engine.tracks[0].rep(0).id if player.engine else "v360"
            oca = player.manifest.ocas[0].url if player.manifest else be.oca_urls[0]
            await player.close()
            t0 = time.perf_counter()
            data = b""
            for name in ("init.mp4", "seg-1.m4s"):
                async with http.get(f"{oca}{rung}/{name}") as r:
                    data += await r.read()
            _first_frame(data)
            bare.append(time.perf_counter() - t0)
    return sdk, bare


async def _sdk_pass(
    pipe: MediaPipeline, clear_init: ClearInit, segs: list[bytes], digests: bool
) -> tuple[float, int]:
    """Seconds for decrypt + decode (+ digests) of every segment, and the frame count."""
    t0 = time.perf_counter()
    frames = 0
    for n, seg in enumerate(segs, start=1):
        clear = await pipe.decrypt(clear_init, seg)
        decoded = await pipe.decode(clear_init, clear, kind="video", number=n, digests=digests)
        frames += len(decoded.video)
    return time.perf_counter() - t0, frames


def _raw_pass(init: bytes, clears: list[bytes]) -> tuple[float, int]:
    """Seconds for a plain PyAV decode of every clear segment from memory, and the count."""
    t0 = time.perf_counter()
    frames = 0
    for clear in clears:
        with av.open(io.BytesIO(init + clear), mode="r", format="mp4") as c:
            for _ in c.decode(video=0):  # each picture is dropped at once
                frames += 1
    return time.perf_counter() - t0, frames


async def _decode_path(be: Backend) -> dict[str, float]:
    """Median frames/s over ROUNDS passes (after one untimed warm-up pass of each path),
    the SDK, the SDK with digests and raw PyAV interleaved so machine noise hits all three."""
    cfg = DeviceConfig("nrdp-bench-device-0002", be.gateway_url)
    async with Device(cfg) as dev:
        await dev.login(be.demo_email, be.demo_password)
        pm = await fetch_playback_manifest(dev.playback, dev.auth, TITLE.id)
        keys = await acquire_license(dev.playback, dev.auth, pm, pm.kids)
    root = be.origin.file_path(TITLE.id, "v720/init.mp4").parent
    init = (root / "init.mp4").read_bytes()
    segs = [p.read_bytes() for p in sorted(root.glob("seg-*.m4s"))]
    ci, prot = decrypt_init(init)
    raw_init = bytes(ci)
    clears = [bytes(decrypt_segment(s, prot, keys)) for s in segs]
    pipe = MediaPipeline(keys)
    rates: dict[str, list[float]] = {"sdk": [], "digests": [], "raw": []}
    frames = 0
    try:
        clear_init = await pipe.prepare_init("v720", init)
        for r in range(ROUNDS + 1):
            gc.collect()
            gc.disable()  # as harness.time_call: no collector pauses inside a timed pass
            try:
                sdk_s, frames = await _sdk_pass(pipe, clear_init, segs, False)
                dig_s, dig_frames = await _sdk_pass(pipe, clear_init, segs, True)
                raw_s, raw_frames = _raw_pass(raw_init, clears)
            finally:
                gc.enable()
            assert raw_frames == frames == dig_frames
            if r:  # round 0 warms codecs, caches and the decoder pool up
                rates["sdk"].append(frames / sdk_s)
                rates["digests"].append(frames / dig_s)
                rates["raw"].append(raw_frames / raw_s)
    finally:
        pipe.close()
    out = {k: statistics.median(v) for k, v in rates.items()}
    out["frames"] = frames
    return out


async def _run() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        async with Backend(
            Path(tmp) / "data",
            catalog=[TITLE],
            ocas=3,
            materializer=PackagerMaterializer(specs=[SPEC], posters=False),
        ) as be:
            sdk, bare = await _startup(be)
            dp = await _decode_path(be)
    p50, base = statistics.median(sdk), statistics.median(bare)
    return [
        Result(
            name="startup load() -> first frame p50",
            figure=p50 * 1000,
            unit="ms",
            baseline_name="bare GET init+seg-1 + PyAV first frame",
            baseline=base * 1000,
            notes=f"{LOADS} loads, encrypted 4 s title, fast mode; p90 "
            f"{sorted(sdk)[int(0.9 * (len(sdk) - 1))] * 1000:.1f} ms",
        ),
        Result(
            name="decode path 720p (decrypt + decode)",
            figure=dp["sdk"],
            unit="frames/s",
            baseline_name="raw PyAV decode of the clear segments",
            baseline=dp["raw"],
            higher_is_better=True,
            target=0.85,
            notes=f"{int(dp['frames'])} frames of 1280x720 H.264 per pass, median of {ROUNDS} "
            "passes after a warm-up; digests on first use (NullSink never reads them)",
        ),
        Result(
            name="decode path 720p with luma digests (HashSink)",
            figure=dp["digests"],
            unit="frames/s",
            baseline_name="raw PyAV decode of the clear segments",
            baseline=dp["raw"],
            higher_is_better=True,
            notes="as above plus a SHA-1 of every luma plane in the decode worker "
            "(wants_digests); informational, no target",
        ),
    ]


@benchmark
def startup_and_decode() -> list[Result]:
    """Startup p50 and decode-path throughput against same-run baselines."""
    return asyncio.run(_run())
