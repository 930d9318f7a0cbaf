"""The packager's output model: renditions of a title, each an init and numbered segments."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fake_backend.packager.spec import TitleSpec

__all__ = ["EncodedTitle", "PreparedTitle", "Rendition", "SegmentInfo"]


@dataclass(frozen=True)
class SegmentInfo:
    """Where one media segment sits on the title's timeline (ticks of ``timescale``)."""

    number: int
    """1-based, as in ``seg-<number>.m4s`` and DASH ``$Number$`` with ``startNumber=1``."""
    start: int
    duration: int
    size: int
    timescale: int

    @property
    def start_s(self) -> float:
        return self.start / self.timescale

    @property
    def duration_s(self) -> float:
        return self.duration / self.timescale

    @property
    def end(self) -> int:
        return self.start + self.duration


@dataclass(frozen=True, eq=False)
class Rendition:
    """One encoded track as CMAF-style fMP4: ``init`` (ftyp+moov) plus media segments.

    ``bandwidth`` is the peak segment bitrate (what DASH ``@bandwidth`` promises);
    ``average_bandwidth`` is total bits over total duration.
    """

    id: str
    kind: Literal["video", "audio"]
    codecs: str
    timescale: int
    init: bytes
    segments: tuple[bytes, ...]
    segment_info: tuple[SegmentInfo, ...]
    bandwidth: int
    average_bandwidth: int
    target_bitrate: int
    width: int | None = None
    height: int | None = None
    frame_rate: int | None = None
    sample_rate: int | None = None
    channels: int | None = None
    language: str | None = None

    @property
    def mime_type(self) -> str:
        return f"{self.kind}/mp4"

    @property
    def duration_s(self) -> float:
        if not self.segment_info:
            return 0.0
        return self.segment_info[-1].end / self.timescale

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description (no media bytes): what ``title.json`` lists."""
        d: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "mime_type": self.mime_type,
            "codecs": self.codecs,
            "timescale": self.timescale,
            "bandwidth": self.bandwidth,
            "average_bandwidth": self.average_bandwidth,
            "target_bitrate": self.target_bitrate,
            "init": f"{self.id}/init.mp4",
            "segments": [
                {
                    "number": s.number,
                    "path": f"{self.id}/seg-{s.number}.m4s",
                    "start": s.start,
                    "duration": s.duration,
                    "size": s.size,
                }
                for s in self.segment_info
            ],
        }
        extra = {
            "width": self.width,
            "height": self.height,
            "frame_rate": self.frame_rate,
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "language": self.language,
        }
        d.update({k: v for k, v in extra.items() if v is not None})
        return d


@dataclass(frozen=True, eq=False)
class EncodedTitle:
    """Every rendition of one title, on one shared segment grid."""

    spec: TitleSpec
    video: tuple[Rendition, ...]
    audio: Rendition | None

    @property
    def renditions(self) -> tuple[Rendition, ...]:
        return self.video + ((self.audio,) if self.audio is not None else ())

    def rendition(self, rendition_id: str) -> Rendition:
        for r in self.renditions:
            if r.id == rendition_id:
                return r
        raise KeyError(rendition_id)

    def describe(self) -> dict[str, Any]:
        s = self.spec
        return {
            "title_id": s.title_id,
            "duration_s": s.duration_s,
            "fps": s.fps,
            "segment_duration_s": s.segment_duration_s,
            "frames_per_segment": s.frames_per_segment,
            "frame_count": s.frame_count,
            "renditions": [r.describe() for r in self.renditions],
        }

    def write(self, directory: Path | str) -> list[Path]:
        """Write ``<id>/init.mp4``, ``<id>/seg-<n>.m4s`` (n from 1) and ``title.json``.

        Returns every path written. Existing files are overwritten.
        """
        root = Path(directory)
        written: list[Path] = []
        for r in self.renditions:
            folder = root / r.id
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / "init.mp4"
            path.write_bytes(r.init)
            written.append(path)
            for info, data in zip(r.segment_info, r.segments, strict=True):
                path = folder / f"seg-{info.number}.m4s"
                path.write_bytes(data)
                written.append(path)
        path = root / "title.json"
        path.write_text(json.dumps(self.describe(), indent=2) + "\n")
        written.append(path)
        return written


@dataclass(frozen=True, eq=False)
class PreparedTitle:
    """A title's slow parts made ahead of ``package_title`` (on several processes, see
    :func:`~fake_backend.packager.parallel.prepare_parallel`); what is None is made there."""

    encoded: EncodedTitle
    extra_audio: tuple[Rendition, ...] | None = None
    """The tracks after the first of ``PackageSpec.audio``, in order."""
    tiles: tuple[bytes, ...] | None = None
    """The spec's thumbnail tiles (JPEG)."""
    poster: bytes | None = None
    """The poster (PNG)."""
