"""The picture every third-party generator packages: one encode, decoded once as reference.

The ladder is encoded once with PyAV/libx264 into a NUT file (exact frame timestamps), and
each packaging tool (FFmpeg's dash muxer, shaka-packager) repackages those same H.264
packets. So the clear decode of the source is the frame-exact reference for every variant,
clear or encrypted, whatever tool wrote it. Every frame carries its id in the picture
(:mod:`fake_backend.packager.frame_id`), counting from ``first_frame_id``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from fake_backend.packager.picture import SyntheticPicture
from fake_backend.packager.tone import tone_frequency

__all__ = ["Rung", "SourceMedia", "encode_source", "frame_hash", "remux_to_mp4"]

AUDIO_RATE = 48_000


@dataclass(frozen=True)
class Rung:
    """One rendition of a third-party ladder (16:9 sizes: FFmpeg's dash wants one aspect)."""

    width: int
    height: int
    kbps: int


@dataclass(frozen=True)
class SourceMedia:
    """The encoded ladder (stream k = ``ladder[k]``; audio last when present)."""

    path: Path
    ladder: tuple[Rung, ...]
    fps: int
    frame_count: int
    first_frame_id: int
    audio: bool
    reference: Mapping[int, tuple[str, ...]]
    """Height -> sha256 (hex, 16 chars) of each decoded frame's luma, in output order."""


def frame_hash(frame: av.VideoFrame) -> str:
    """A short digest of a decoded frame's luma plane (what reference hashes hold)."""
    return hashlib.sha256(frame.to_ndarray(format="gray").tobytes()).hexdigest()[:16]


def _video_streams(
    out: av.container.OutputContainer, ladder: tuple[Rung, ...], fps: int, gop: int
) -> list[av.VideoStream]:
    streams = []
    for rung in ladder:
        s = out.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = rung.width, rung.height, "yuv420p"
        s.bit_rate = rung.kbps * 1000
        s.codec_context.gop_size = gop
        s.options = {
            "preset": "ultrafast",
            "bf": "0",
            "sc_threshold": "0",
            "keyint_min": str(gop),
            "threads": "1",
        }
        streams.append(s)
    return streams


def _audio_stream(out: av.container.OutputContainer) -> av.AudioStream:
    stream = out.add_stream("aac", rate=AUDIO_RATE)
    stream.layout, stream.bit_rate = "stereo", 96_000
    return stream


def _tone(stream: av.AudioStream, seconds: float) -> Iterator[av.Packet]:
    """AAC-LC stereo: the packager's stepped tone (its pitch says the second)."""
    total = math.ceil(seconds * AUDIO_RATE)
    for start in range(0, total, 1024):
        n = min(1024, total - start)
        t = (start + np.arange(n)) / AUDIO_RATE
        wave = 0.2 * np.sin(2 * np.pi * tone_frequency(start // AUDIO_RATE) * t)
        frame = av.AudioFrame.from_ndarray(
            np.repeat(wave[None, :], 2, axis=0).astype(np.float32), format="fltp", layout="stereo"
        )
        frame.sample_rate, frame.pts = AUDIO_RATE, start
        frame.time_base = Fraction(1, AUDIO_RATE)
        yield from _unprimed(stream.encode(frame))
    yield from _unprimed(stream.encode(None))


def _unprimed(packets: list[av.Packet]) -> Iterator[av.Packet]:
    """Shift AAC's priming packet (pts -1024) to 0, so no muxer shifts the video off 0."""
    for p in packets:
        p.pts = None if p.pts is None else p.pts + 1024
        p.dts = None if p.dts is None else p.dts + 1024
        yield p


def encode_source(
    dest: Path,
    ladder: tuple[Rung, ...],
    *,
    fps: int,
    seconds: float,
    gop_s: float,
    first_frame_id: int = 0,
    audio: bool = True,
) -> SourceMedia:
    """Encode the synthetic picture (and the tone) at every rung into ``dest`` (a .nut)."""
    frames = round(seconds * fps)
    top = max(ladder, key=lambda r: r.width)
    picture = SyntheticPicture(top.width, top.height)
    with av.open(str(dest), "w", format="nut") as out:
        streams = _video_streams(out, ladder, fps, round(gop_s * fps))
        sound = _audio_stream(out) if audio else None  # every stream before the first mux
        for i in range(frames):
            frame = picture.render(first_frame_id + i).to_video_frame()
            for s in streams:
                scaled = frame.reformat(s.width, s.height, "yuv420p", interpolation="AREA")
                scaled.pts, scaled.time_base = i, Fraction(1, fps)
                out.mux(s.encode(scaled))
        for s in streams:
            out.mux(s.encode(None))
        if sound is not None:
            for packet in _tone(sound, frames / fps):
                out.mux(packet)
    reference = {}
    with av.open(str(dest)) as src:
        for k, rung in enumerate(ladder):
            src.seek(0)
            reference[rung.height] = tuple(frame_hash(f) for f in src.decode(video=k))
    return SourceMedia(dest, ladder, fps, frames, first_frame_id, audio, reference)


def remux_to_mp4(source: SourceMedia, stream_index: int, dest: Path) -> Path:
    """One stream of the source as a plain (non-fragmented) MP4: shaka-packager's input."""
    with av.open(str(source.path)) as src, av.open(str(dest), "w", format="mp4") as out:
        template = src.streams[stream_index]
        stream = out.add_stream_from_template(template)
        for packet in src.demux(template):
            if packet.dts is None:
                continue
            packet.stream = stream
            out.mux(packet)
    return dest
