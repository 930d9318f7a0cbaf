"""Fixtures for drm tests: corpus sets with their keys, and real clips encoded by PyAV."""

from __future__ import annotations

import hashlib
import io
import json
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from drm.clearkey import KeyStore
from drm.protection import mdat_ranges
from mediacore.boxes import iter_boxes

KID = bytes.fromhex("00112233445566778899aabbccddeeff")
KEY = bytes.fromhex("0f0e0d0c0b0a09080706050403020100")


@pytest.fixture(scope="session")
def cenc_dir(corpus_dir: Path) -> Path:
    return corpus_dir / "cenc"


@pytest.fixture(scope="session")
def expected(corpus_dir: Path) -> dict[str, Any]:
    return json.loads((corpus_dir / "expected.json").read_text())["files"]


@pytest.fixture(scope="session")
def corpus_keys(expected: dict[str, Any]) -> KeyStore:
    """Every key the corpus documents (from the source repos' tests)."""
    store = KeyStore()
    for entry in expected.values():
        for k in entry.get("keys", []):
            store.add(bytes.fromhex(k["kid"]), bytes.fromhex(k["key"]))
    return store


def init_for(path: Path) -> Path | None:
    """The init segment a corpus media segment belongs to (None for single files)."""
    name = path.name
    if name.endswith(".m4s") and "bear-640x360" in name:
        kind = "audio" if "audio" in name else "video"
        return path.with_name(f"bear-640x360-{kind}-init.mp4")
    if name.endswith(".m4s"):
        return path.with_name("video-H264-288-400k_init.mp4")
    if name.startswith("multidrm-") and name.endswith("-segment.mp4"):
        return path.with_name(name.replace("-segment", "-init"))
    if name.startswith(("enc-", "clear-")) and "-s" in name:
        return path.with_name(name.split("-s")[0] + "-init.mp4")
    return None


def mdat_bytes(data: bytes | bytearray) -> bytes:
    return b"".join(bytes(data[a:b]) for a, b in mdat_ranges(data))


def split_fmp4(data: bytes) -> tuple[bytes, list[bytes]]:
    """(init = everything through moov, [moof+mdat...] segments) of a single-file fMP4."""
    init = b""
    segments: list[bytes] = []
    current = b""
    for b in iter_boxes(data):
        if b.type == "moof":
            if current:
                segments.append(current)
            current = bytes(b.raw())
        elif current:
            current += bytes(b.raw())
        else:
            init += bytes(b.raw())
    if current:
        segments.append(current)
    return init, segments


FRAG = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}


def remux(data: bytes, options: dict[str, str], kind: str | None = None) -> bytes:
    """The same packets muxed again with other mp4 muxer ``options`` (e.g. FFmpeg's CENC),
    optionally only the streams of one ``kind`` ("video"/"audio").

    x264 output is not bit-exact from run to run, so a clear/encrypted pair must share one
    encode.
    """
    import av

    out = io.BytesIO()
    with (
        av.open(io.BytesIO(data)) as src,
        av.open(out, "w", format="mp4", options={**FRAG, **options}) as dst,
    ):
        streams = {
            s.index: dst.add_stream_from_template(s)
            for s in src.streams
            if kind is None or s.type == kind
        }
        for pkt in src.demux(*[s for s in src.streams if s.index in streams]):
            if pkt.dts is None:
                continue
            pkt.stream = streams[pkt.stream.index]
            dst.mux(pkt)
    return out.getvalue()


def make_clip(
    frames: int = 24,
    audio: bool = True,
    width: int = 176,
    height: int = 144,
    x264: dict[str, str] | None = None,
) -> bytes:
    """An H.264 (+AAC) fragmented MP4 encoded by PyAV, in memory."""
    import av
    import numpy as np

    buf = io.BytesIO()
    opts = dict(FRAG)
    with av.open(buf, "w", format="mp4", options=opts) as c:
        v = c.add_stream("libx264", rate=24)
        v.width, v.height, v.pix_fmt = width, height, "yuv420p"
        v.options = {"g": "8", "bf": "2", "preset": "veryfast", "threads": "1", **(x264 or {})}
        v.thread_count = 1
        a = c.add_stream("aac", rate=48000) if audio else None
        if a is not None:
            a.layout = "stereo"
        ramp = np.arange(width, dtype=np.uint8)[None, :]
        for i in range(frames):
            img = np.zeros((height, width, 3), np.uint8)
            img[..., 0] = (i * 7) % 256
            img[..., 1] = ramp
            row = (i * 3) % height
            img[row : row + 12, :, 2] = 255
            frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
            frame.pts = i
            frame.time_base = Fraction(1, 24)
            for p in v.encode(frame):
                c.mux(p)
        for p in v.encode():
            c.mux(p)
        if a is not None:
            n = 1024
            for k in range(int(frames / 24 * 48000 / n)):
                t = (np.arange(n) + k * n) / 48000
                s = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
                af = av.AudioFrame.from_ndarray(np.stack([s, s]), format="fltp", layout="stereo")
                af.sample_rate, af.pts = 48000, k * n
                for p in a.encode(af):
                    c.mux(p)
            for p in a.encode():
                c.mux(p)
    return buf.getvalue()


def decode_hashes(
    data: bytes | bytearray, options: dict[str, str] | None = None, kind: str | None = None
) -> tuple[list[str], int]:
    """(per-frame content hashes in decode order, decoder error log lines) via PyAV;
    ``kind`` ("video"/"audio") restricts to one stream type."""
    import av
    import av.logging

    av.logging.set_level(av.logging.ERROR)
    hashes: list[str] = []
    raised = 0
    with (
        av.logging.Capture(True) as logs,
        av.open(io.BytesIO(bytes(data)), options=options or {}) as c,
    ):
        streams = [s for s in c.streams if kind is None or s.type == kind]
        for pkt in c.demux(*streams):
            try:
                frames = pkt.decode()
            except av.error.FFmpegError:
                raised += 1
                continue
            for f in frames:
                arr = (
                    f.to_ndarray(format="rgb24") if isinstance(f, av.VideoFrame) else f.to_ndarray()
                )
                hashes.append(hashlib.sha1(arr.tobytes()).hexdigest())
    errors = [line for line in logs if line[0] <= av.logging.ERROR]
    return hashes, len(errors) + raised


@pytest.fixture(scope="session")
def clip() -> bytes:
    """H.264 + AAC, 1 s, several fragments each with a video and an audio traf."""
    return make_clip()


@pytest.fixture(scope="session")
def video_clip() -> bytes:
    return make_clip(audio=False)


@pytest.fixture(scope="session")
def media() -> SimpleNamespace:
    """The helpers above, for test modules (conftest is not importable by name)."""
    return SimpleNamespace(
        init_for=init_for,
        mdat_bytes=mdat_bytes,
        split_fmp4=split_fmp4,
        make_clip=make_clip,
        remux=remux,
        decode_hashes=decode_hashes,
        KID=KID,
        KEY=KEY,
    )
