"""A synthetic moving picture in YUV 4:2:0, with the frame-id band stamped on top.

The picture must give the encoder real work (so a higher rung really costs more bits) while
staying cheap to render with numpy: a moving diagonal sawtooth, a bouncing textured square,
a drifting noise texture and slowly rotating colour gradients. Everything is a pure function
of the frame number, so a frame can be re-rendered at will.
"""

from __future__ import annotations

from dataclasses import dataclass

import av
import numpy as np
from numpy.typing import NDArray

from fake_backend.packager.frame_id import band_geometry, stamp

__all__ = ["SyntheticPicture", "YuvFrame"]


@dataclass(frozen=True)
class YuvFrame:
    """One rendered picture: ``buffer`` holds Y, U, V back to back (PyAV's yuv420p layout)."""

    buffer: NDArray[np.uint8]
    y: NDArray[np.uint8]
    u: NDArray[np.uint8]
    v: NDArray[np.uint8]

    @classmethod
    def allocate(cls, width: int, height: int) -> YuvFrame:
        """An uninitialised ``width x height`` picture whose planes view one buffer."""
        buf = np.empty((height * 3 // 2, width), dtype=np.uint8)
        flat = buf.reshape(-1)
        y = flat[: width * height].reshape(height, width)
        q = (width // 2) * (height // 2)
        u = flat[width * height : width * height + q].reshape(height // 2, width // 2)
        v = flat[width * height + q : width * height + 2 * q].reshape(height // 2, width // 2)
        return cls(buf, y, u, v)

    def to_video_frame(self) -> av.VideoFrame:
        return av.VideoFrame.from_ndarray(self.buffer, format="yuv420p")


class SyntheticPicture:
    """Renders frame ``n`` of the synthetic title at ``width x height`` (both even)."""

    def __init__(self, width: int, height: int, *, seed: int = 7) -> None:
        if width % 2 or height % 2 or width < 32 or height < 32:
            raise ValueError(f"picture size {width}x{height} must be even and at least 32x32")
        self.width = width
        self.height = height
        yy, xx = np.mgrid[0:height, 0:width]
        scale = 640.0 / max(width, height)
        self._diag = ((xx + yy) * scale).astype(np.int32)
        rng = np.random.default_rng(seed)
        self._texture = rng.integers(-24, 25, size=(height, width), dtype=np.int32)
        cy, cx = np.mgrid[0 : height // 2, 0 : width // 2]
        self._cx = (cx * (255.0 / max(1, width // 2 - 1))).astype(np.int32)
        self._cy = (cy * (255.0 / max(1, height // 2 - 1))).astype(np.int32)
        self._band_rows = band_geometry(width, height).band_height
        side = max(16, min(width, height) // 4)
        self._square = side
        checker = (
            (np.arange(side)[:, None] // max(2, side // 8)) + (np.arange(side) // max(2, side // 8))
        ) % 2
        self._checker = (checker * 160 + 48).astype(np.uint8)

    def render(self, n: int) -> YuvFrame:
        w, h = self.width, self.height
        frame = YuvFrame.allocate(w, h)
        y, u, v = frame.y, frame.u, frame.v

        saw = (self._diag + 6 * n) % 200
        texture = np.roll(self._texture, 3 * n, axis=1)
        np.clip(saw + 24 + texture, 16, 235, out=saw)
        y[:] = saw
        side = self._square
        span_x, span_y = max(1, w - side), max(1, h - self._band_rows - side)
        px = _bounce(5 * n, span_x)
        py = self._band_rows + _bounce(3 * n, span_y)
        y[py : py + side, px : px + side] = self._checker
        u[:] = (self._cx + 2 * n) % 256 // 2 + 64
        v[:] = (self._cy + 3 * n) % 256 // 2 + 64
        stamp(y, n, chroma=(u, v))
        return frame


def _bounce(t: int, span: int) -> int:
    """Position of an object moving back and forth over ``span`` pixels at time ``t``."""
    period = 2 * span
    p = t % period
    return p if p < span else period - p
