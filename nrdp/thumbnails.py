"""Seek-bar thumbnails from DASH-IF thumbnail tiles (IOP 6.2.6).

An image AdaptationSet (``contentType="image"``) whose Representation carries
``EssentialProperty schemeIdUri="http://dashif.org/thumbnail_tile" value="CxR"``: every
"segment" is one tile image holding ``C x R`` thumbnails, left to right then top to bottom,
each covering ``segment duration / (C x R)`` seconds. :func:`tile_for` is the pure part
(which image, which cell); :class:`ThumbnailSource` fetches the image through the same
failover downloader as media segments and keeps the last few images (hovering along the
seek bar asks for the same tile many times).
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from manifest import Manifest
from manifest.model import Period, Representation, SegmentTemplate
from mediacore.errors import ManifestError
from nrdp.delivery.downloader import Downloader
from nrdp.delivery.resume import ByteRange

__all__ = [
    "THUMBNAIL_TILE_SCHEME",
    "Thumbnail",
    "ThumbnailSource",
    "TileCell",
    "TileTrack",
    "pick_track",
    "tile_for",
    "tile_tracks",
    "track_at",
]

THUMBNAIL_TILE_SCHEME = "http://dashif.org/thumbnail_tile"
_GRID = re.compile(r"\s*(\d{1,4})\s*x\s*(\d{1,4})\s*$")


@dataclass(frozen=True)
class Thumbnail:
    """One seek-bar preview: the whole tile image (``data``, of type ``mime``) and the
    ``rect`` ``(x, y, w, h)`` of the cell for the asked time; the cell stands for the
    presentation time ``start`` .. ``start + duration`` (MPD timeline, seconds)."""

    data: bytes
    mime: str
    rect: tuple[int, int, int, int]
    start: float
    duration: float


@dataclass(frozen=True)
class TileTrack:
    """One thumbnail Representation: its grid and the size of one cell in pixels."""

    rep: Representation
    columns: int
    rows: int
    mime: str

    @property
    def cell_width(self) -> int:
        return (self.rep.width or 0) // self.columns

    @property
    def cell_height(self) -> int:
        return (self.rep.height or 0) // self.rows


@dataclass(frozen=True)
class TileCell:
    """Where the thumbnail for a time is: the tile image's ``url`` (resolved) and ``path``
    (unresolved, for failover), its byte range if any, and the cell's rectangle and span."""

    url: str
    path: str
    byte_range: ByteRange | None
    rect: tuple[int, int, int, int]
    start: float
    duration: float


def _grid(rep: Representation) -> tuple[int, int] | None:
    for prop in rep.essential_properties:
        if prop.scheme_id_uri == THUMBNAIL_TILE_SCHEME:
            match = _GRID.match(prop.value or "")
            if match is None:
                return None
            cols, rows = int(match[1]), int(match[2])
            return (cols, rows) if cols > 0 and rows > 0 else None
    return None


def tile_tracks(period: Period) -> list[TileTrack]:
    """The Period's usable thumbnail tracks (a grid, a size that divides into cells)."""
    out = []
    for aset in period.adaptation_sets:
        if aset.kind != "image":
            continue
        for rep in aset.representations:
            grid = _grid(rep)
            if grid is None or not rep.width or not rep.height:
                continue
            mime = rep.mime_type or aset.mime_type or "image/jpeg"
            track = TileTrack(rep, grid[0], grid[1], mime)
            if track.cell_width > 0 and track.cell_height > 0:
                out.append(track)
    return out


def pick_track(tracks: list[TileTrack], max_width: int, max_height: int) -> TileTrack | None:
    """The largest cells that fit ``max_width x max_height``; the first track if none fits."""
    fits = [t for t in tracks if t.cell_width <= max_width and t.cell_height <= max_height]
    if not fits:
        return tracks[0] if tracks else None
    return max(fits, key=lambda t: t.cell_width * t.cell_height)


def _nominal_duration(rep: Representation, actual: float) -> float:
    """A tile's grid spans the template's @duration even when the Period end cuts the last
    tile short (its spare cells are simply never shown)."""
    info = rep.addressing
    if isinstance(info, SegmentTemplate) and info.timeline is None and info.duration:
        return info.duration / (info.timescale or 1)
    return actual


def tile_for(t: float, track: TileTrack) -> TileCell:
    """The tile image covering MPD-timeline time ``t`` and the cell of it that shows ``t``.
    Raises the manifest's ``SegmentNotFound`` when no tile covers ``t``."""
    ref = track.rep.segment_at(t)
    per_tile = track.columns * track.rows
    tile_s = _nominal_duration(track.rep, ref.duration)
    cell_s = tile_s / per_tile if tile_s > 0 else 0.0
    k = int((t - ref.start) // cell_s) if cell_s > 0 else 0
    k = min(max(k, 0), per_tile - 1)
    row, col = divmod(k, track.columns)
    w, h = track.cell_width, track.cell_height
    return TileCell(
        url=ref.url,
        path=ref.path,
        byte_range=ByteRange(ref.byte_range.first, ref.byte_range.last)
        if ref.byte_range is not None
        else None,
        rect=(col * w, row * h, w, h),
        start=ref.start + k * cell_s,
        duration=cell_s,
    )


def track_at(manifest: Manifest, t: float, max_size: tuple[int, int]) -> TileTrack | None:
    """The thumbnail track of the Period that ``t`` falls in (see :func:`pick_track`)."""
    period = next((p for p in reversed(manifest.periods) if t >= p.start_time - 1e-9), None)
    if period is None:
        period = manifest.periods[0] if manifest.periods else None
    return None if period is None else pick_track(tile_tracks(period), *max_size)


class ThumbnailSource:
    """Thumbnails of one loaded title: the track of the Period at ``t``, its tile image
    over the playback channel (every location, failover, Range resume), and an LRU of the
    last ``cache_size`` images (a fetch in flight is shared, not repeated)."""

    def __init__(
        self,
        manifest: Manifest,
        downloader: Downloader,
        locate: Callable[[Representation, str], str],
        *,
        max_size: tuple[int, int] = (480, 270),
        cache_size: int = 4,
    ) -> None:
        self._manifest = manifest
        self._downloader = downloader
        self._locate = locate
        self._max = max_size
        self._cache_size = max(1, cache_size)
        self._images: OrderedDict[tuple[str, ByteRange | None], asyncio.Task[bytes]] = OrderedDict()
        self.fetches = 0

    async def thumbnail_at(self, t: float) -> Thumbnail | None:
        """The thumbnail for ``t``, or ``None`` when its Period has no thumbnail track or
        no tile covers ``t``; a failed fetch raises the downloader's typed error."""
        track = track_at(self._manifest, t, self._max)
        if track is None:
            return None
        try:
            cell = tile_for(t, track)
        except ManifestError:
            return None
        data = await self._image(self._locate(track.rep, cell.path), cell.byte_range)
        return Thumbnail(data, track.mime, cell.rect, cell.start, cell.duration)

    def _image(self, path: str, byte_range: ByteRange | None) -> Awaitable[bytes]:
        key = (path, byte_range)
        task = self._images.get(key)
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = asyncio.ensure_future(self._fetch(path, byte_range))
            self._images[key] = task
            while len(self._images) > self._cache_size:
                self._images.popitem(last=False)  # one still running finishes for its caller
        self._images.move_to_end(key)
        return asyncio.shield(task)

    async def _fetch(self, path: str, byte_range: ByteRange | None) -> bytes:
        self.fetches += 1
        return (await self._downloader.fetch(path, byte_range)).data

    def close(self) -> None:
        """Cancel fetches still running (the title is unloaded)."""
        for task in self._images.values():
            task.cancel()
        self._images.clear()
