"""Tiny fragmented MP4 clips encoded by PyAV, for reader tests and fuzz seeds."""

from __future__ import annotations

import functools
import io
from fractions import Fraction

import av
import numpy as np


@functools.lru_cache(maxsize=16)
def encoded_clip(
    movflags: str, *, frames: int = 24, gop: int = 8, codec: str = "libx264", editlist: bool = True
) -> bytes:
    """A 64x48 fMP4 at 25 fps; libx264 with B-frames, so pts are reordered and composition
    offsets not 0 (``+cmaf``: trun v1 with negative ones)."""
    buf = io.BytesIO()
    options = {"movflags": movflags} | ({} if editlist else {"use_editlist": "0"})
    opts = {"g": str(gop), "bf": "2"} | ({"preset": "ultrafast"} if codec == "libx264" else {})
    with av.open(buf, "w", format="mp4", options=options) as c:
        s = c.add_stream(codec, rate=25, options=opts)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        for n in range(frames):
            a = np.zeros((48, 64, 3), np.uint8)
            a[:, (n * 5) % 64] = 255
            a[n % 48, :] = 200
            f = av.VideoFrame.from_ndarray(a, format="rgb24")
            f.pts, f.time_base = n, Fraction(1, 25)
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    return buf.getvalue()
