"""Packager speed: what muxing + fMP4 splitting costs on top of raw encoding, and 1080p fps.

Both figures are measured against a same-run baseline that feeds the *same* frames (same
renderer, same scaling, same libx264 options) to bare codec contexts, with no muxer and no
segment split, so the ratio isolates the packager's own overhead.

``tiny_catalog`` / ``demo_catalog`` time a first packaging of a whole catalog
(``package_title``: encode, encrypt, MPD, subtitles, posters) against the encoder's share
of that same run; the demo one takes 2-3 minutes (``--only packager.tiny`` to skip it).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from benchmarks.harness import Result, benchmark, scaled, smoke
from fake_backend.packager import DEMO_LADDER, TEST_LADDER, TitleSpec, encode_title
from fake_backend.packager.catalog_specs import PackageSpec
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


LADDER_S = scaled(10.0, 2.0)
HD_S = scaled(4.0, 2.0)
RUNS = scaled(2, 1)


@benchmark
def ladder_encode() -> list[Result]:
    spec = TitleSpec("bench", LADDER_S, TEST_LADDER, audio=False)
    raw = min(_timed(lambda: _raw_encode(spec)) for _ in range(RUNS))
    packaged = min(_timed(lambda: encode_title(spec)) for _ in range(RUNS))
    with_audio = _timed(lambda: encode_title(TitleSpec("bench", LADDER_S, TEST_LADDER)))
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
    spec = TitleSpec("bench1080", HD_S, (DEMO_LADDER[-1],), audio=False)
    raw = min(_timed(lambda: _raw_encode(spec)) for _ in range(RUNS))
    packaged = min(_timed(lambda: encode_title(spec)) for _ in range(RUNS))
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


# --------------------------------------------------------------- catalogs (package_title)


def _specs(specs: tuple[PackageSpec, ...]) -> tuple[PackageSpec, ...]:
    """The catalog's specs; in a smoke run, its first title cut to one segment, one rung."""
    if not smoke():
        return specs
    first = specs[0]
    return (replace(first, duration_s=first.segment_duration_s, rungs=first.rungs[:1]),)


def _package_catalog(name: str, root: Path) -> tuple[float, float]:
    """Package catalog ``name`` under ``root``; (total seconds, seconds inside the encoder).

    The encoder share is timed in the same run by wrapping the media factory's entry points
    as ``package_title`` calls them, so the difference is encryption, MPD, VTT, poster, I/O.
    """
    import fake_backend.packager.package as package_module
    from fake_backend.packager.catalog_specs import catalog_specs, default_kids

    spent = [0.0]
    originals = (package_module.encode_title, package_module.encode_audio)

    def timed(fn: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - t0

        return run

    package_module.encode_title = timed(originals[0])
    package_module.encode_audio = timed(originals[1])
    try:
        t0 = time.perf_counter()
        for spec in _specs(catalog_specs(name)):
            kids = default_kids(spec.title_id)
            keys = {kid: bytes([n + 1]) * 16 for n, kid in enumerate(kids.values())}
            package_module.package_title(
                spec,
                root / spec.title_id,
                keys=keys,
                kids=kids,
                license_url="http://127.0.0.1:8000/license/v1/clearkey",
            )
        total = time.perf_counter() - t0
    finally:
        package_module.encode_title, package_module.encode_audio = originals
    return total, spent[0]


def _catalog_result(name: str, budget_s: float) -> Result:
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        total, encode = _package_catalog(name, Path(tmp))
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
    return Result(
        name=f"packager.{name}_catalog_first_packaging",
        figure=total,
        unit="s",
        baseline_name="time inside the encoder (video + audio) in the same run",
        baseline=encode,
        higher_is_better=False,
        notes=f"budget {budget_s:.0f} s; {size / 1e6:.0f} MB written; ratio = encoder share",
        extra={"budget_s": budget_s, "within_budget": total <= budget_s},
    )


@benchmark
def tiny_catalog() -> list[Result]:
    return [_catalog_result("tiny", 10.0)]


@benchmark
def demo_catalog() -> list[Result]:
    return [_catalog_result("demo", 180.0)]
