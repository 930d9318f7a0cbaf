"""Packager speed: what muxing + fMP4 splitting costs on top of raw encoding, and 1080p fps.

Both figures are measured against a same-run baseline that feeds the *same* frames (same
renderer, same scaling, same libx264 options) to bare codec contexts, with no muxer and no
segment split, so the ratio isolates the packager's own overhead.
"""

from __future__ import annotations

import time
from fractions import Fraction

import av

from benchmarks.harness import Result, benchmark
from fake_backend.packager import DEMO_LADDER, TEST_LADDER, TitleSpec, encode_title
from fake_backend.packager.media_factory import scaled_frames, video_codec_options


def _raw_encode(spec: TitleSpec) -> int:
    """Encode the title's frames with bare libx264 contexts; return the bytes produced."""
    encoders = {}
    for rung in spec.rungs:
        enc = av.CodecContext.create("libx264", "w")
        enc.width, enc.height, enc.pix_fmt = rung.width, rung.height, "yuv420p"
        enc.time_base = Fraction(1, spec.fps)
        enc.framerate = Fraction(spec.fps)
        enc.bit_rate = rung.bitrate_kbps * 1000
        enc.options = video_codec_options(spec, rung)
        encoders[rung.id] = enc
    frames = scaled_frames(spec)
    size = 0
    for n in range(spec.frame_count):
        for rid, frame in frames(n).items():
            size += sum(p.size for p in encoders[rid].encode(frame))
    for enc in encoders.values():
        size += sum(p.size for p in enc.encode(None))
    return size


def _timed(fn: object) -> float:
    t0 = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t0


@benchmark
def ladder_encode() -> list[Result]:
    spec = TitleSpec("bench", 10.0, TEST_LADDER, audio=False)
    raw = min(_timed(lambda: _raw_encode(spec)) for _ in range(2))
    packaged = min(_timed(lambda: encode_title(spec)) for _ in range(2))
    with_audio = _timed(lambda: encode_title(TitleSpec("bench", 10.0, TEST_LADDER)))
    return [
        Result(
            name="packager.ladder_10s_240p-480p_3rungs",
            figure=packaged,
            unit="s",
            baseline_name="raw libx264 encode, same frames",
            baseline=raw,
            higher_is_better=False,
            notes=f"with AAC audio: {with_audio:.2f} s; {spec.frame_count} frames x 3 rungs",
        )
    ]


@benchmark
def fps_1080p() -> list[Result]:
    spec = TitleSpec("bench1080", 4.0, (DEMO_LADDER[-1],), audio=False)
    raw = min(_timed(lambda: _raw_encode(spec)) for _ in range(2))
    packaged = min(_timed(lambda: encode_title(spec)) for _ in range(2))
    return [
        Result(
            name="packager.1080p_rung_fps",
            figure=spec.frame_count / packaged,
            unit="frames/s",
            baseline_name="raw libx264 1080p fps",
            baseline=spec.frame_count / raw,
            higher_is_better=True,
            notes=f"preset {spec.preset}, {DEMO_LADDER[-1].bitrate_kbps} kbps",
        )
    ]
