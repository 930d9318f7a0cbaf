"""What the packager wrote: the packaged title and its tracks (paths, sizes, KIDs; never keys)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fake_backend.packager.catalog_specs import PackageSpec
from fake_backend.packager.rendition import SegmentInfo

__all__ = ["MPD_NAME", "POSTER_NAME", "PackagedTitle", "PackagedTrack"]

MPD_NAME = "manifest.mpd"
POSTER_NAME = "poster.png"


@dataclass(frozen=True)
class PackagedTrack:
    """One written track: a video rung, an audio track or a subtitle sidecar."""

    id: str
    kind: str  # "video" | "audio" | "text"
    codecs: str | None
    bandwidth: int
    """Peak bits/s over the written (encrypted) segments."""
    timescale: int = 1
    init: str | None = None
    segments: tuple[str, ...] = ()
    segment_info: tuple[SegmentInfo, ...] = ()
    kid: bytes | None = None
    language: str | None = None
    media_file: str | None = None
    """On-demand profile: the one file (init + sidx + fragments); ``segments`` is empty."""
    init_range: tuple[int, int] | None = None
    index_range: tuple[int, int] | None = None
    rotation_kids: tuple[bytes, ...] = ()
    """Key rotation: every KID the fragments use, in order (``kid`` is the first)."""
    tile_grid: str | None = None
    """Thumbnail tiles (kind ``image``): ``"<columns>x<rows>"``; ``segments`` are the JPEGs."""
    tile_duration_s: float | None = None
    label: str | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: int | None = None
    sample_rate: int | None = None
    channels: int | None = None

    def describe(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "codecs": self.codecs,
            "bandwidth": self.bandwidth,
            "timescale": self.timescale,
            "init": self.init,
            "kid": self.kid.hex() if self.kid else None,
            "language": self.language,
            "label": self.label,
            "width": self.width,
            "height": self.height,
            "frame_rate": self.frame_rate,
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "segments": [
                {"number": i.number, "path": p, "start": i.start, "duration": i.duration}
                for i, p in zip(self.segment_info, self.segments, strict=True)
            ]
            if self.segment_info and self.segments
            else [{"path": p} for p in self.segments],
            "media_file": self.media_file,
            "init_range": list(self.init_range) if self.init_range else None,
            "index_range": list(self.index_range) if self.index_range else None,
            "rotation_kids": [k.hex() for k in self.rotation_kids] or None,
            "tile_grid": self.tile_grid,
            "tile_duration_s": self.tile_duration_s,
        }
        return {k: v for k, v in d.items() if v is not None}


@dataclass(frozen=True)
class PackagedTitle:
    """What :func:`package_title` wrote under ``root``."""

    spec: PackageSpec
    root: Path
    tracks: tuple[PackagedTrack, ...]
    kids: Mapping[str, bytes] = field(default_factory=dict)
    mpd: str = MPD_NAME
    poster: str | None = POSTER_NAME
    files: tuple[str, ...] = ()

    @property
    def scheme(self) -> str:
        return self.spec.scheme

    @property
    def mpd_path(self) -> Path:
        return self.root / self.mpd

    def track(self, track_id: str) -> PackagedTrack:
        for t in self.tracks:
            if t.id == track_id:
                return t
        raise KeyError(track_id)

    def describe(self) -> dict[str, Any]:
        s = self.spec
        return {
            "title_id": s.title_id,
            "name": s.name,
            "duration_s": s.duration_s,
            "fps": s.fps,
            "segment_duration_s": s.segment_duration_s,
            "scheme": s.scheme,
            "kids": {k: v.hex() for k, v in self.kids.items()} if s.encrypted else {},
            "mpd": self.mpd,
            "poster": self.poster,
            "tracks": [t.describe() for t in self.tracks],
        }
