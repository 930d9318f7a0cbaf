"""Frame numbers drawn into the picture as large luma blocks, and read back after decode.

Tests and the headless player must prove that every frame arrived exactly once and in order,
across quality switches. Metadata does not survive decode, so the number is in the pixels: a
band of ``ROWS x COLS`` black/white cells across the top of the frame. Cell edges are fixed
*fractions* of the frame size, so the same geometry works at any resolution and survives
downscaling; cells are large and flat, so they survive low-bitrate H.264.

Layout (row-major, ``ROWS=2``, ``COLS=16``): the four corner cells are fixed markers
(top-left white, top-right black, bottom-left black, bottom-right white) that give the reader
its black and white reference levels; the other 28 cells carry 20 bits of frame number (MSB
first) and an 8-bit CRC of it. A picture without the band, with too little contrast, with an
ambiguous cell or with a wrong CRC reads as ``None``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import av
import numpy as np
from numpy.typing import NDArray

from fake_backend.packager.errors import FrameIdUnreadable

__all__ = [
    "BAND_FRACTION",
    "COLS",
    "FRAME_ID_BITS",
    "MAX_FRAME_ID",
    "ROWS",
    "BandGeometry",
    "band_geometry",
    "draw_frame_id",
    "luma_plane",
    "read_frame_id",
    "require_frame_id",
    "stamp",
]

ROWS = 2
COLS = 16
ROW_DIVISOR = 16
"""Each band row is ``1/ROW_DIVISOR`` of the frame height."""
BAND_FRACTION = ROWS / ROW_DIVISOR
"""Share of the frame height the band occupies (the top eighth)."""
FRAME_ID_BITS = 20
CRC_BITS = 8
MAX_FRAME_ID = (1 << FRAME_ID_BITS) - 1
"""About 9.7 hours at 30 fps."""

WHITE = 235
BLACK = 16
"""Limited-range luma levels, so colour conversions on the way do not clip them."""
MIN_CONTRAST = 48.0
"""White and black markers closer than this (in luma steps) mean there is no band."""
MARGIN = 0.2
"""A data cell within ``MARGIN * contrast`` of the threshold is ambiguous: no reading."""
MIN_SIZE = 32

_MARKERS: dict[tuple[int, int], bool] = {
    (0, 0): True,
    (0, COLS - 1): False,
    (ROWS - 1, 0): False,
    (ROWS - 1, COLS - 1): True,
}
_DATA_CELLS: tuple[tuple[int, int], ...] = tuple(
    (r, c) for r in range(ROWS) for c in range(COLS) if (r, c) not in _MARKERS
)
assert len(_DATA_CELLS) == FRAME_ID_BITS + CRC_BITS


@dataclass(frozen=True)
class BandGeometry:
    """Pixel rectangles of every cell for one frame size: ``(y0, y1, x0, x1)`` per cell."""

    width: int
    height: int
    cells: tuple[tuple[tuple[int, int, int, int], ...], ...]
    inner: tuple[tuple[tuple[int, int, int, int], ...], ...]
    """The centre half of each cell: where the reader samples, away from blurred edges."""

    @property
    def band_height(self) -> int:
        return self.cells[-1][0][1]


@functools.lru_cache(maxsize=64)
def band_geometry(width: int, height: int) -> BandGeometry:
    """Cell rectangles for a ``width x height`` picture (cached: sizes repeat every frame)."""
    if width < MIN_SIZE or height < MIN_SIZE:
        raise ValueError(f"picture {width}x{height} is too small for a frame-id band")
    cells = []
    inner = []
    for r in range(ROWS):
        y0, y1 = r * height // ROW_DIVISOR, (r + 1) * height // ROW_DIVISOR
        row_cells = []
        row_inner = []
        for c in range(COLS):
            x0, x1 = c * width // COLS, (c + 1) * width // COLS
            row_cells.append((y0, y1, x0, x1))
            qy, qx = (y1 - y0) // 4, (x1 - x0) // 4
            row_inner.append(
                (y0 + qy, max(y1 - qy, y0 + qy + 1), x0 + qx, max(x1 - qx, x0 + qx + 1))
            )
        cells.append(tuple(row_cells))
        inner.append(tuple(row_inner))
    return BandGeometry(width, height, tuple(cells), tuple(inner))


def _crc8(value: int) -> int:
    """CRC-8 (poly 0x07, init 0xFF) of the 3 big-endian bytes of ``value``."""
    crc = 0xFF
    for byte in value.to_bytes(3, "big"):
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _cell_bits(frame_number: int) -> list[bool]:
    if not 0 <= frame_number <= MAX_FRAME_ID:
        raise ValueError(f"frame number {frame_number} outside 0..{MAX_FRAME_ID}")
    word = (frame_number << CRC_BITS) | _crc8(frame_number)
    total = FRAME_ID_BITS + CRC_BITS
    return [bool((word >> (total - 1 - i)) & 1) for i in range(total)]


def stamp(
    luma: NDArray[np.uint8],
    frame_number: int,
    chroma: tuple[NDArray[np.uint8], NDArray[np.uint8]] | None = None,
) -> NDArray[np.uint8]:
    """Draw the band for ``frame_number`` into a ``(height, width)`` luma plane, in place.

    With ``chroma`` (the U and V planes, any subsampling), the band area there is set to
    neutral grey so the band stays black and white after colour conversion.
    """
    if luma.ndim != 2:
        raise ValueError("stamp expects a 2-D luma plane")
    height, width = luma.shape
    geo = band_geometry(width, height)
    for (r, c), white in _MARKERS.items():
        y0, y1, x0, x1 = geo.cells[r][c]
        luma[y0:y1, x0:x1] = WHITE if white else BLACK
    for (r, c), bit in zip(_DATA_CELLS, _cell_bits(frame_number), strict=True):
        y0, y1, x0, x1 = geo.cells[r][c]
        luma[y0:y1, x0:x1] = WHITE if bit else BLACK
    if chroma is not None:
        for plane in chroma:
            rows = -(-geo.band_height * plane.shape[0] // height)
            plane[:rows, :] = 128
    return luma


def draw_frame_id(frame_number: int, width: int, height: int) -> NDArray[np.uint8]:
    """A mid-grey ``(height, width)`` luma plane carrying only the band for ``frame_number``."""
    luma = np.full((height, width), 128, dtype=np.uint8)
    return stamp(luma, frame_number)


def luma_plane(frame: av.VideoFrame) -> NDArray[np.uint8]:
    """The 8-bit luma of a decoded frame as a ``(height, width)`` array (no copy for yuv420p)."""
    if frame.format.name in ("yuv420p", "yuvj420p", "yuv422p", "yuv444p", "nv12", "gray"):
        plane = frame.planes[0]
        raw = np.frombuffer(memoryview(plane), dtype=np.uint8)
        return raw.reshape(frame.height, plane.line_size)[:, : frame.width]
    return np.asarray(frame.to_ndarray(format="gray"), dtype=np.uint8)


def _read(source: av.VideoFrame | NDArray[np.uint8]) -> tuple[int | None, str]:
    luma = luma_plane(source) if isinstance(source, av.VideoFrame) else source
    if luma.ndim != 2:
        return None, "not a 2-D luma plane"
    height, width = luma.shape
    if width < MIN_SIZE or height < MIN_SIZE:
        return None, f"picture {width}x{height} too small"
    geo = band_geometry(width, height)

    def mean(r: int, c: int) -> float:
        y0, y1, x0, x1 = geo.inner[r][c]
        return float(luma[y0:y1, x0:x1].mean())

    whites = [mean(r, c) for (r, c), w in _MARKERS.items() if w]
    blacks = [mean(r, c) for (r, c), w in _MARKERS.items() if not w]
    low_white, high_black = min(whites), max(blacks)
    contrast = low_white - high_black
    if contrast < MIN_CONTRAST:
        return None, f"markers missing (contrast {contrast:.0f})"
    threshold = (low_white + high_black) / 2
    margin = MARGIN * contrast
    word = 0
    for r, c in _DATA_CELLS:
        m = mean(r, c)
        if abs(m - threshold) < margin:
            return None, f"cell ({r},{c}) ambiguous"
        word = (word << 1) | (m > threshold)
    number, crc = word >> CRC_BITS, word & ((1 << CRC_BITS) - 1)
    if _crc8(number) != crc:
        return None, "check bits do not match"
    return number, ""


def read_frame_id(source: av.VideoFrame | NDArray[np.uint8]) -> int | None:
    """The frame number stamped in a decoded frame or luma plane, or ``None`` if unreadable."""
    return _read(source)[0]


def require_frame_id(source: av.VideoFrame | NDArray[np.uint8]) -> int:
    """Like :func:`read_frame_id`, but raise :class:`FrameIdUnreadable` saying why."""
    number, reason = _read(source)
    if number is None:
        raise FrameIdUnreadable(f"no frame id in picture: {reason}", reason=reason)
    return number
