"""nrdp benchmarks: startup (load() -> first frame), decode-path throughput, real-time CPU.

All run against a real fake backend on loopback with real CENC-encrypted H.264/AAC, packaged
once at the start of the run: a 4 s, 2 s-segment 720p title (two video rungs) and a 20 s,
4 s-segment title whose rungs are 240p and 1080p (30 fps both).

- startup 1080p title: p50 and p90 over 20 loads of ``Player.load()`` until the sink receives
  the first video frame (Play API + MPD + license + init + first segment + decrypt +
  decode), as fast as possible, starting at the lowest rung as the ABR does. Baseline, same
  run: a bare aiohttp GET of the same init and first segment from the same OCA plus a raw
  PyAV decode of its first frame (the irreducible part: no API calls, no decryption, no SDK).
  The notes carry the median split (Play API + MPD + license until ``load()`` returns; first
  video segment downloaded; first frame). A second row pins the 1080p rung from the start.
- first frame of a segment: from a protected 4 s 1080p segment in memory to its first frame
  through ``MediaPipeline.decode_frames`` (decrypt, then the first part), against a raw PyAV
  decode of the clear segment's first frame; the notes give ``decode()`` of the whole
  segment, which is what the player waited for before its presenter streamed video.
- decode path: frames/s of ``MediaPipeline`` (decrypt in the worker pool, samples fed as
  packets to the pipeline's reused decoder contexts, frames with read-only luma views) over
  every video segment of the 720p rung, the median of several passes after a warm-up.
  Baseline: raw PyAV decoding of the same clear segments from memory in this thread
  (``av.open`` per segment, default decoder settings in both), no decryption. The target row
  decrypts and decodes one segment after the other; a second row queues every decryption at
  once, as the player does when downloads land; a third streams each segment in parts with
  the presenter's bounded look-ahead (``MediaPipeline.stream``, what the player's video
  presenter consumes); a fourth adds the SHA-1 luma digest per frame (what a ``HashSink``
  asks for).
- real-time CPU: the 1080p title played in real time (``PlayerConfig(realtime=True)``,
  ``NullSink``, rung pinned to 1080p) to its end; process CPU time over wall time, in percent
  of one core, less the CPU of the fake backend's thread (it runs on its own thread and event
  loop for this row, so serving the segments is not charged to the SDK). Baseline: the CPU
  time of a raw PyAV decode of the same clear segments (video and audio) over the same wall
  time, so the ratio says how much the SDK costs above decoding. The notes add the frames
  dropped late and the peak resident set (the kernel's high-water mark, reset before
  ``load()``; sampled every 20 ms where it cannot be reset) and its growth over the
  resident set before ``load()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
import av

from benchmarks.harness import Result, benchmark, scaled
from drm import decrypt_init, decrypt_segment
from fake_backend.catalog import CatalogTitle, short_title
from fake_backend.packager import PackagerMaterializer, spec_for_title
from fake_backend.runner import Backend
from nrdp import Device, DeviceConfig, NullSink, PlayerConfig
from nrdp.events import Event, LicenseAcquired, SegmentDownloaded
from nrdp.media.pipeline import ClearInit, MediaPipeline
from nrdp.playback.license import acquire_license
from nrdp.playback.play_api import fetch_playback_manifest
from nrdp.scheduler.loop import AHEAD_FRAMES, PART_FRAMES

LOADS = scaled(20, 1)
PINNED_LOADS = scaled(7, 1)
ROUNDS = scaled(9, 1)
STARTUP_TARGET_MS = 300.0
TITLE = short_title(
    "t-bench", (b"\x31" * 16, b"\x32" * 16), rungs=("v360", "v720"), segment_duration_s=2.0
)
HD = short_title(
    "t-bench-hd",
    (b"\x41" * 16, b"\x42" * 16),
    rungs=("v240", "v1080"),
    duration_s=scaled(20.0, 4.0),
    segment_duration_s=4.0,
)
SPECS = [replace(spec_for_title(t, ()), fps=30) for t in (TITLE, HD)]  # rows are authoritative


@dataclass
class _Startup:
    """One load's marks, seconds after ``load()`` was called (at ``t0``)."""

    t0: float = 0.0
    loaded: float = 0.0
    license: float | None = None
    first_segment: float | None = None
    first_frame: float | None = None


@dataclass
class _Startups:
    sdk: list[_Startup] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)


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


def _video_track(player: object) -> object:
    engine = getattr(player, "engine", None)
    return next(t for t in engine.tracks if t.kind.value == "video")  # type: ignore[union-attr]


async def _startup(be: Backend, title: CatalogTitle, loads: int, *, top: bool) -> _Startups:
    """``loads`` loads of ``title`` (fast mode), each with its marks, and the bare baseline."""
    out = _Startups()
    cfg = DeviceConfig("nrdp-bench-device-0001", be.gateway_url)
    async with Device(cfg) as dev, aiohttp.ClientSession() as http:
        await dev.login(be.demo_email, be.demo_password)
        for _ in range(loads):
            sink = _FirstFrame()
            player = dev.player(
                sink=sink, config=PlayerConfig(realtime=False, telemetry=False, bookmarks=False)
            )
            marks = _Startup()

            def mark(ev: Event, marks: _Startup = marks) -> None:
                now = time.perf_counter() - marks.t0
                if isinstance(ev, LicenseAcquired) and marks.license is None:
                    marks.license = now
                elif (
                    isinstance(ev, SegmentDownloaded)
                    and ev.track.value == "video"
                    and marks.first_segment is None
                ):
                    marks.first_segment = now

            player.on_event(mark)
            t0 = marks.t0 = time.perf_counter()
            await player.load(title.id)
            marks.loaded = time.perf_counter() - t0
            track = _video_track(player)
            top_rung = len(track.choice.representations) - 1  # type: ignore[attr-defined]
            if top:  # before the engine's task first runs: the first segment is 1080p
                player.set_quality(rung=top_rung)
            await asyncio.wait_for(sink.done.wait(), 30)
            assert sink.at is not None
            marks.first_frame = sink.at - t0
            out.sdk.append(marks)
            rung = track.rep(top_rung if top else 0).id  # type: ignore[attr-defined]
            oca = player.manifest.ocas[0].url if player.manifest else be.oca_urls[0]
            await player.close()
            t0 = time.perf_counter()
            data = b""
            for name in ("init.mp4", "seg-1.m4s"):
                async with http.get(f"{oca}{rung}/{name}") as r:
                    data += await r.read()
            _first_frame(data)
            out.bare.append(time.perf_counter() - t0)
    return out


async def _sdk_pass(
    pipe: MediaPipeline,
    clear_init: ClearInit,
    segs: list[bytes],
    digests: bool,
    *,
    ahead: bool = False,
    streamed: bool = False,
) -> tuple[float, int]:
    """Seconds for decrypt + decode (+ digests) of every segment, and the frame count.

    One segment after the other, or with ``ahead`` as the player runs: every segment's
    decryption queued at once (the player decrypts when a download ends), so decrypting the
    next segment overlaps decoding this one. ``streamed``: each segment through
    ``MediaPipeline.stream`` in parts with the presenter's bounded look-ahead, every part
    taken on the loop as it comes (what the presenter does in fast mode)."""
    t0 = time.perf_counter()
    frames = 0
    queued = [asyncio.ensure_future(pipe.decrypt(clear_init, s)) for s in segs] if ahead else []
    for n, seg in enumerate(segs, start=1):
        clear = await (queued[n - 1] if ahead else pipe.decrypt(clear_init, seg))
        if streamed:
            async with pipe.stream(
                clear_init,
                clear,
                kind="video",
                number=n,
                digests=digests,
                chunk=PART_FRAMES,
                ahead=AHEAD_FRAMES,
            ) as stream:
                while (part := await stream.next_part()) is not None:
                    frames += len(part.video)
            continue
        decoded = await pipe.decode(clear_init, clear, kind="video", number=n, digests=digests)
        frames += len(decoded.video)
    return time.perf_counter() - t0, frames


def _raw_pass(init: bytes, clears: Sequence[bytes], kind: str = "video") -> tuple[float, int]:
    """Seconds for a plain PyAV decode of every clear segment from memory, and the count."""
    t0 = time.perf_counter()
    frames = 0
    for clear in clears:
        with av.open(io.BytesIO(init + clear), mode="r", format="mp4") as c:
            for _ in c.decode(**{kind: 0}):  # each picture is dropped at once
                frames += 1
    return time.perf_counter() - t0, frames


async def _keys(be: Backend, title: CatalogTitle) -> object:
    cfg = DeviceConfig("nrdp-bench-device-0002", be.gateway_url)
    async with Device(cfg) as dev:
        await dev.login(be.demo_email, be.demo_password)
        pm = await fetch_playback_manifest(dev.playback, dev.auth, title.id)
        return await acquire_license(dev.playback, dev.auth, pm, pm.kids)


def _clear_rendition(
    be: Backend, title: CatalogTitle, rung: str, keys: object
) -> tuple[bytes, list[bytes], bytes, list[bytes]]:
    """(protected init, protected segments, clear init, clear segments) of one rendition."""
    root = be.origin.file_path(title.id, f"{rung}/init.mp4").parent
    init = (root / "init.mp4").read_bytes()
    segs = [
        p.read_bytes()
        for p in sorted(root.glob("seg-*.m4s"), key=lambda p: int(p.stem.split("-")[1]))
    ]
    ci, prot = decrypt_init(init)
    clears = [bytes(decrypt_segment(s, prot, keys)) for s in segs]  # type: ignore[arg-type]
    return init, segs, bytes(ci), clears


async def _decode_path(be: Backend) -> dict[str, float]:
    """Median frames/s over ROUNDS passes (after one untimed warm-up pass of each path),
    the SDK, the SDK with digests and raw PyAV interleaved so machine noise hits all three."""
    keys = await _keys(be, TITLE)
    init, segs, raw_init, clears = _clear_rendition(be, TITLE, "v720", keys)
    pipe = MediaPipeline(keys)  # type: ignore[arg-type]
    rates: dict[str, list[float]] = {k: [] for k in ("sdk", "ahead", "streamed", "digests", "raw")}
    rates |= {"sdk_cpu": [], "raw_cpu": [], "streamed_cpu": []}  # process CPU s per pass
    frames = 0
    try:
        clear_init = await pipe.prepare_init("v720", init)
        for r in range(ROUNDS + 1):
            gc.collect()
            gc.disable()  # as harness.time_call: no collector pauses inside a timed pass
            try:
                c0 = time.process_time()
                sdk_s, frames = await _sdk_pass(pipe, clear_init, segs, False)
                c1 = time.process_time()
                ahead_s, ahead_frames = await _sdk_pass(pipe, clear_init, segs, False, ahead=True)
                c4 = time.process_time()
                streamed_s, streamed_frames = await _sdk_pass(
                    pipe, clear_init, segs, False, streamed=True
                )
                c5 = time.process_time()
                dig_s, dig_frames = await _sdk_pass(pipe, clear_init, segs, True)
                c2 = time.process_time()
                raw_s, raw_frames = _raw_pass(raw_init, clears)
                c3 = time.process_time()
            finally:
                gc.enable()
            assert raw_frames == frames == dig_frames == ahead_frames == streamed_frames
            if r:  # round 0 warms codecs, caches and the decoder pool up
                rates["sdk"].append(frames / sdk_s)
                rates["ahead"].append(frames / ahead_s)
                rates["streamed"].append(frames / streamed_s)
                rates["streamed_cpu"].append(c5 - c4)
                rates["digests"].append(frames / dig_s)
                rates["raw"].append(raw_frames / raw_s)
                rates["sdk_cpu"].append(c1 - c0)
                rates["raw_cpu"].append(c3 - c2)
    finally:
        pipe.close()
    out = {k: statistics.median(v) for k, v in rates.items()}
    out["frames"] = frames
    return out


async def _first_frame_latency(be: Backend) -> dict[str, float]:
    """Median seconds from a protected 4 s 1080p segment in memory to its first frame:
    ``decode_frames`` (first part), ``decode`` (whole segment), raw PyAV first frame."""
    keys = await _keys(be, HD)
    init, segs, raw_init, clears = _clear_rendition(be, HD, "v1080", keys)
    pipe = MediaPipeline(keys)  # type: ignore[arg-type]
    times: dict[str, list[float]] = {"parts": [], "whole": [], "raw": []}
    try:
        clear_init = await pipe.prepare_init("v1080", init)
        for r in range(PINNED_LOADS + 1):
            t0 = time.perf_counter()
            clear = await pipe.decrypt(clear_init, segs[0])
            async with contextlib.aclosing(
                pipe.decode_frames(clear_init, clear, kind="video", number=1)
            ) as parts:
                async for _ in parts:
                    parts_s = time.perf_counter() - t0
                    break
            t0 = time.perf_counter()
            clear = await pipe.decrypt(clear_init, segs[0])
            await pipe.decode(clear_init, clear, kind="video", number=1)
            whole_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            _first_frame(raw_init + clears[0])
            raw_s = time.perf_counter() - t0
            if r:  # round 0 warms up
                times["parts"].append(parts_s)
                times["whole"].append(whole_s)
                times["raw"].append(raw_s)
    finally:
        pipe.close()
    return {k: statistics.median(v) for k, v in times.items()}


class _RssPeak:
    """The peak resident set of this process over a block, and its growth over the resident
    set when the block began, in bytes.

    The kernel keeps the peak (``VmHWM``, reset by writing ``5`` to ``/proc/self/clear_refs``):
    nothing runs meanwhile, so the CPU figure it brackets is the SDK's alone (a sampling
    thread waking every 20 ms cost ~0.2 s of CPU per 20 s on a busy 2-core box, ~8% of the
    SDK's figure). Where the peak cannot be reset, ``/proc/self/statm`` is sampled every 20
    ms on a thread instead."""

    def __init__(self) -> None:
        self.start = self.peak = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="bench-rss", daemon=True)
        self._kernel = False

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss())

    def __enter__(self) -> _RssPeak:
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            self._kernel = _high_water() is not None
        except OSError:
            self._kernel = False
        if not self._kernel:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._kernel:
            self.peak = max(self.peak, _high_water() or 0)
        else:
            self._stop.set()
            self._thread.join()
        self.peak = max(self.peak, _rss())

    @property
    def growth(self) -> int:
        return self.peak - self.start


def _high_water() -> int | None:
    """``VmHWM`` of ``/proc/self/status`` in bytes, ``None`` where the kernel has none."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return None


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _BackendThread:
    """The fake backend on its own thread and event loop, so that its CPU time (serving the
    segments, which a real device does not pay) can be told apart from the SDK's."""

    def __init__(self, backend: Backend) -> None:
        self.be = backend
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="bench-backend", daemon=True
        )

    async def _call(self, coro: Coroutine[Any, Any, None]) -> None:
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._loop))

    async def __aenter__(self) -> Backend:
        self._thread.start()
        await self._call(self.be.start())
        return self.be

    async def __aexit__(self, *exc: object) -> None:
        await self._call(self.be.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def cpu(self) -> float:
        """CPU seconds the backend's thread has used so far."""
        assert self._thread.ident is not None
        return time.clock_gettime(time.pthread_getcpuclockid(self._thread.ident))


async def _realtime_cpu(data_dir: Path) -> dict[str, float]:
    """CPU seconds (process, and the backend thread's share) and wall seconds of playing HD
    in real time pinned to 1080p, and the CPU seconds of a raw PyAV decode of the same clear
    segments. The backend reopens the run's data dir (nothing is packaged again)."""
    runner = _BackendThread(
        Backend(data_dir, catalog=[TITLE, HD], ocas=3, materializer=_materializer())
    )
    async with runner as be:
        cfg = DeviceConfig("nrdp-bench-device-0003", be.gateway_url)
        async with Device(cfg) as dev:
            await dev.login(be.demo_email, be.demo_password)
            player = dev.player(
                sink=NullSink(),
                config=PlayerConfig(realtime=True, telemetry=False, bookmarks=False),
            )
            gc.collect()
            with _RssPeak() as rss:
                c0, b0, t0 = time.process_time(), runner.cpu(), time.perf_counter()
                await player.load(HD.id)
                track = _video_track(player)
                player.set_quality(rung=len(track.choice.representations) - 1)  # type: ignore[attr-defined]
                await player.wait_until_done(timeout=HD.duration_s * 3)
                cpu, wall = time.process_time() - c0, time.perf_counter() - t0
            backend = runner.cpu() - b0
            frames = track.presented  # type: ignore[attr-defined]
            dropped = track.dropped  # type: ignore[attr-defined]
            await player.close()
        keys = await _keys(be, HD)
        _, _, vinit, vclears = _clear_rendition(be, HD, "v1080", keys)
        _, _, ainit, aclears = _clear_rendition(be, HD, "a128", keys)
    gc.collect()
    c0 = time.process_time()
    _, raw_frames = _raw_pass(vinit, vclears)
    _raw_pass(ainit, aclears, "audio")
    raw_cpu = time.process_time() - c0
    return {
        "cpu": cpu - backend,
        "backend": backend,
        "wall": wall,
        "raw_cpu": raw_cpu,
        "frames": frames,
        "dropped": dropped,
        "raw": raw_frames,
        "rss_peak": rss.peak,
        "rss_growth": rss.growth,
    }


def _pct(values: Sequence[float], q: float) -> float:
    s = sorted(values)
    return s[round(q * (len(s) - 1))]


def _startup_results(name: str, st: _Startups, note: str) -> Result:
    firsts = [m.first_frame or 0.0 for m in st.sdk]
    p50, p90, base = statistics.median(firsts), _pct(firsts, 0.9), statistics.median(st.bare)
    split = {
        "load() returned (Play API + MPD + license)": statistics.median(m.loaded for m in st.sdk),
        "license acquired": statistics.median(m.license or 0.0 for m in st.sdk),
        "first video segment downloaded": statistics.median(m.first_segment or 0.0 for m in st.sdk),
        "first frame": p50,
    }
    met = "meets" if p50 * 1000 < STARTUP_TARGET_MS else "MISSES"
    return Result(
        name=name,
        figure=p50 * 1000,
        unit="ms",
        baseline_name="bare GET init+seg-1 + PyAV first frame",
        baseline=base * 1000,
        notes=f"{len(firsts)} loads, {note}, fast mode; p90 {p90 * 1000:.1f} ms; "
        f"{met} the {STARTUP_TARGET_MS:.0f} ms p50 target; median marks (ms): "
        + ", ".join(f"{k} {v * 1000:.1f}" for k, v in split.items()),
        extra={
            "p90_ms": p90 * 1000,
            "target_ms": STARTUP_TARGET_MS,
            "marks_ms": {k: v * 1000 for k, v in split.items()},
        },
    )


def _materializer() -> PackagerMaterializer:
    return PackagerMaterializer(specs=SPECS, posters=False)


async def _run() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        async with Backend(data, catalog=[TITLE, HD], ocas=3, materializer=_materializer()) as be:
            low = await _startup(be, HD, LOADS, top=False)
            top = await _startup(be, HD, PINNED_LOADS, top=True)
            dp = await _decode_path(be)
            ff = await _first_frame_latency(be)
        rt = await _realtime_cpu(data)
    cpu_pct = rt["cpu"] / rt["wall"] * 100
    raw_pct = rt["raw_cpu"] / rt["wall"] * 100
    return [
        _startup_results(
            "startup load() -> first frame p50 (1080p title)",
            low,
            "encrypted 20 s title, 4 s segments, 240p+1080p, first segment at 240p",
        ),
        _startup_results(
            "startup p50, first segment at 1080p",
            top,
            "as above, rung pinned to 1080p before the first download",
        ),
        Result(
            name="first frame of a 4 s 1080p segment, decode_frames()",
            figure=ff["parts"] * 1000,
            unit="ms",
            baseline_name="raw PyAV first frame of the clear segment",
            baseline=ff["raw"] * 1000,
            notes=f"decrypt + MediaPipeline.decode_frames() until its first part; "
            f"decode() of the whole segment takes {ff['whole'] * 1000:.1f} ms (median of "
            f"{PINNED_LOADS}), which is what the presenter waited for before it streamed "
            "video in parts",
            extra={"whole_segment_ms": ff["whole"] * 1000},
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
            "passes after a warm-up; digests on first use (NullSink never reads them); "
            f"process CPU per pass (steadier than wall time on a shared machine): SDK "
            f"{dp['sdk_cpu'] * 1000:.1f} ms, raw {dp['raw_cpu'] * 1000:.1f} ms "
            f"(ratio {dp['raw_cpu'] / dp['sdk_cpu']:.3f})",
            extra={"sdk_cpu_ms": dp["sdk_cpu"] * 1000, "raw_cpu_ms": dp["raw_cpu"] * 1000},
        ),
        Result(
            name="decode path 720p, decryption queued ahead (as the player)",
            figure=dp["ahead"],
            unit="frames/s",
            baseline_name="raw PyAV decode of the clear segments",
            baseline=dp["raw"],
            higher_is_better=True,
            notes="as above, but every segment's decryption is queued at once, as the player "
            "decrypts each download when it lands: decrypting overlaps decoding; informational",
        ),
        Result(
            name="decode path 720p streamed in parts (as the presenter)",
            figure=dp["streamed"],
            unit="frames/s",
            baseline_name="raw PyAV decode of the clear segments",
            baseline=dp["raw"],
            higher_is_better=True,
            target=0.85,
            notes=f"as the first decode-path row, but each segment through "
            f"MediaPipeline.stream() in parts (first frame alone, then {PART_FRAMES}), at most "
            f"{AHEAD_FRAMES} pictures decoded ahead of the consumer, parts taken on the loop as "
            f"they come; process CPU per pass {dp['streamed_cpu'] * 1000:.1f} ms (raw "
            f"{dp['raw_cpu'] * 1000:.1f} ms, ratio {dp['raw_cpu'] / dp['streamed_cpu']:.3f})",
            extra={"streamed_cpu_ms": dp["streamed_cpu"] * 1000},
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
        Result(
            name="CPU playing 1080p30 in real time (NullSink)",
            figure=cpu_pct,
            unit="% of one core",
            baseline_name="raw PyAV decode CPU of the same segments",
            baseline=raw_pct,
            notes=f"{HD.duration_s:.0f} s title pinned to 1080p, {int(rt['frames'])} frames "
            f"presented, {int(rt['dropped'])} dropped late (raw decode {int(rt['raw'])}) "
            f"in {rt['wall']:.1f} s wall; "
            f"SDK {rt['cpu']:.2f} s CPU vs raw decode {rt['raw_cpu']:.2f} s; the fake "
            f"backend's thread (serving, not counted) used {rt['backend']:.2f} s more; "
            f"peak RSS {rt['rss_peak'] / 2**20:.0f} MiB, {rt['rss_growth'] / 2**20:.0f} MiB "
            "above the RSS before load() (whole process, backend included)",
            extra={
                "rss_peak_mib": rt["rss_peak"] / 2**20,
                "rss_growth_mib": rt["rss_growth"] / 2**20,
                "cpu_s": rt["cpu"],
                "backend_cpu_s": rt["backend"],
                "wall_s": rt["wall"],
                "raw_cpu_s": rt["raw_cpu"],
            },
        ),
    ]


@benchmark
def startup_and_decode() -> list[Result]:
    """Startup p50/p90, decode-path throughput and real-time CPU against same-run baselines."""
    return asyncio.run(_run())
