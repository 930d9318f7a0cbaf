"""DASH-IF thumbnail tiles: JPEG grids of small pictures for seek-bar previews.

DASH-IF IOP (6.2.6): an AdaptationSet with ``contentType="image"``, ``mimeType
image/jpeg``; each Representation carries ``EssentialProperty
schemeIdUri="http://dashif.org/thumbnail_tile" value="<columns>x<rows>"`` and a
SegmentTemplate whose every "segment" is one tile image covering ``columns x rows``
thumbnails, left to right then top to bottom, each ``interval_s`` long. So thumbnail *k*
shows the frame at ``k x interval_s``: tile ``k // (columns x rows) + 1``, cell
``k % (columns x rows)``. The pictures are the title's own frames (frame-id band included,
so a test can read which frame a cell shows); JPEG comes from FFmpeg's ``mjpeg`` encoder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
from numpy.typing import NDArray

from fake_backend.packager.natural import title_picture
from fake_backend.packager.spec import TitleSpec

__all__ = ["THUMBNAIL_TILE_SCHEME", "ThumbnailSpec", "render_tiles", "thumbnail_frames"]

THUMBNAIL_TILE_SCHEME = "http://dashif.org/thumbnail_tile"


@dataclass(frozen=True)
class ThumbnailSpec:
    """One thumbnail track: cell size (even), grid, spacing in time and JPEG quality (2-31,
    FFmpeg's qscale: lower is better)."""

    id: str = "thumbs"
    width: int = 160
    height: int = 90
    columns: int = 5
    rows: int = 2
    interval_s: float = 1.0
    qscale: int = 3

    def __post_init__(self) -> None:
        if self.width % 2 or self.height % 2 or min(self.width, self.height) < 32:
            raise ValueError("thumbnail cells must be even and at least 32x32")
        if self.columns < 1 or self.rows < 1 or self.interval_s <= 0:
            raise ValueError("a tile needs at least one cell and a positive interval")
        if not 2 <= self.qscale <= 31:
            raise ValueError("qscale must be 2..31")

    @property
    def per_tile(self) -> int:
        return self.columns * self.rows

    @property
    def grid(self) -> str:
        return f"{self.columns}x{self.rows}"

    @property
    def tile_duration_s(self) -> float:
        return self.per_tile * self.interval_s


def thumbnail_frames(title: TitleSpec, thumbs: ThumbnailSpec) -> list[int]:
    """The frame number (0-based, before ``first_frame_id``) each thumbnail shows."""
    count = max(1, math.ceil(title.duration_s / thumbs.interval_s - 1e-9))
    return [
        min(title.frame_count - 1, round(k * thumbs.interval_s * title.fps)) for k in range(count)
    ]


def _jpeg(canvas: av.VideoFrame, qscale: int) -> bytes:
    ctx = av.CodecContext.create("mjpeg", "w")
    ctx.width, ctx.height, ctx.pix_fmt = canvas.width, canvas.height, "yuvj420p"
    ctx.time_base = Fraction(1, 1)
    ctx.options = {"qmin": str(qscale), "qmax": str(qscale)}
    frame = canvas.reformat(format="yuvj420p")
    frame.pts = 0
    return b"".join(bytes(p) for p in [*ctx.encode(frame), *ctx.encode(None)])


def _paste(planes: list[NDArray[np.uint8]], cell: av.VideoFrame, col: int, row: int) -> None:
    """Copy a yuv420p ``cell`` into the canvas planes at grid position (col, row)."""
    w, h = cell.width, cell.height
    flat = cell.to_ndarray().reshape(-1)
    q = (w // 2) * (h // 2)
    parts = (
        flat[: w * h].reshape(h, w),
        flat[w * h : w * h + q].reshape(h // 2, w // 2),
        flat[w * h + q : w * h + 2 * q].reshape(h // 2, w // 2),
    )
    for plane, part in zip(planes, parts, strict=True):
        ph, pw = part.shape
        plane[row * ph : (row + 1) * ph, col * pw : (col + 1) * pw] = part


def render_tiles(title: TitleSpec, thumbs: ThumbnailSpec) -> list[bytes]:
    """Every tile image of ``title`` as JPEG bytes (the last tile's spare cells are black)."""
    picture = title_picture(title)
    frames = thumbnail_frames(title, thumbs)
    width, height = thumbs.width * thumbs.columns, thumbs.height * thumbs.rows
    tiles = []
    for first in range(0, len(frames), thumbs.per_tile):
        planes = [
            np.full((height, width), 16, np.uint8),
            np.full((height // 2, width // 2), 128, np.uint8),
            np.full((height // 2, width // 2), 128, np.uint8),
        ]
        for cell, n in enumerate(frames[first : first + thumbs.per_tile]):
            source = picture.render(title.first_frame_id + n).to_video_frame()
            small = source.reformat(thumbs.width, thumbs.height, "yuv420p", interpolation="AREA")
            row, col = divmod(cell, thumbs.columns)
            _paste(planes, small, col, row)
        flat = np.concatenate([p.reshape(-1) for p in planes])
        canvas = av.VideoFrame.from_ndarray(flat.reshape(-1, width), format="yuv420p")
        tiles.append(_jpeg(canvas, thumbs.qscale))
    return tiles
