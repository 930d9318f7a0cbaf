"""What to encode: a title's duration, frame rate, segment duration, video ladder and audio."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from fake_backend.packager.errors import InvalidTitleSpec

__all__ = ["DEMO_LADDER", "PICTURES", "TEST_LADDER", "RungSpec", "TitleSpec"]

PICTURES = ("natural", "gradient")
"""What a title's video shows: panned photographs with cuts and grain (bitrate varies like
real content), or the synthetic gradients (cheap, near-constant bitrate)."""


@dataclass(frozen=True)
class RungSpec:
    """One video rendition of the ladder: its id (a path component), size and target bitrate."""

    id: str
    width: int
    height: int
    bitrate_kbps: int

    def __post_init__(self) -> None:
        if not self.id or not self.id.replace("-", "").replace("_", "").isalnum():
            raise InvalidTitleSpec(f"rung id {self.id!r} must be [A-Za-z0-9_-]+", field="id")
        if self.width % 2 or self.height % 2 or self.width < 32 or self.height < 32:
            raise InvalidTitleSpec(
                f"rung {self.id}: {self.width}x{self.height} must be even and >= 32x32",
                field="size",
            )
        if self.bitrate_kbps <= 0:
            raise InvalidTitleSpec(f"rung {self.id}: bitrate must be > 0", field="bitrate_kbps")


@dataclass(frozen=True)
class TitleSpec:
    """A synthetic title: every rung and the audio share one timeline and segment grid.

    ``fps * segment_duration_s`` must be a whole number of frames: each segment starts with
    a keyframe at exactly the same time in every rung, so segments can be mixed across rungs.
    """

    title_id: str
    duration_s: float
    rungs: tuple[RungSpec, ...]
    fps: int = 30
    segment_duration_s: float = 2.0
    audio: bool = True
    audio_bitrate_kbps: int = 128
    audio_language: str = "en"
    audio_sample_rate: int = 48_000
    audio_channels: int = 2
    preset: str = "veryfast"
    video_timescale: int = 90_000
    audio_id: str = field(default="audio")
    first_frame_id: int = 0
    """The id stamped into frame 0 (a later Period of a title continues the count)."""
    picture: str = "natural"
    """One of :data:`PICTURES`."""

    def __post_init__(self) -> None:
        if self.picture not in PICTURES:
            raise InvalidTitleSpec(
                f"picture {self.picture!r} not one of {PICTURES}", field="picture"
            )
        if not self.rungs:
            raise InvalidTitleSpec("a title needs at least one rung", field="rungs")
        ids = [r.id for r in self.rungs] + ([self.audio_id] if self.audio else [])
        if len(set(ids)) != len(ids):
            raise InvalidTitleSpec(f"rendition ids repeat: {ids}", field="rungs")
        if not 1 <= self.fps <= 120:
            raise InvalidTitleSpec(f"fps {self.fps} outside 1..120", field="fps")
        if self.duration_s <= 0 or self.segment_duration_s <= 0:
            raise InvalidTitleSpec("durations must be positive", field="duration_s")
        per_segment = self.fps * self.segment_duration_s
        if abs(per_segment - round(per_segment)) > 1e-9 or round(per_segment) < 1:
            raise InvalidTitleSpec(
                f"segment of {self.segment_duration_s}s is not a whole number of frames "
                f"at {self.fps} fps",
                field="segment_duration_s",
            )
        if self.first_frame_id < 0 or self.first_frame_id + self.frame_count > (1 << 20):
            raise InvalidTitleSpec("title longer than the frame-id range", field="duration_s")
        if self.video_timescale % self.fps:
            raise InvalidTitleSpec(
                f"video timescale {self.video_timescale} is not a multiple of {self.fps} fps",
                field="video_timescale",
            )
        if self.audio and (self.audio_channels not in (1, 2) or self.audio_bitrate_kbps <= 0):
            raise InvalidTitleSpec("audio needs 1 or 2 channels and a bitrate", field="audio")

    @property
    def frames_per_segment(self) -> int:
        return round(self.fps * self.segment_duration_s)

    @property
    def frame_count(self) -> int:
        return round(self.duration_s * self.fps)

    @property
    def segment_count(self) -> int:
        return math.ceil(self.frame_count / self.frames_per_segment)

    @property
    def source_size(self) -> tuple[int, int]:
        """The largest rung: the picture is rendered once at this size and scaled down."""
        top = max(self.rungs, key=lambda r: r.width * r.height)
        return top.width, top.height


TEST_LADDER: tuple[RungSpec, ...] = (
    RungSpec("v240", 426, 240, 300),
    RungSpec("v360", 640, 360, 700),
    RungSpec("v480", 854, 480, 1200),
)
"""Small and fast: what the tests encode."""

DEMO_LADDER: tuple[RungSpec, ...] = (
    RungSpec("v240", 426, 240, 300),
    RungSpec("v360", 640, 360, 700),
    RungSpec("v480", 854, 480, 1200),
    RungSpec("v720", 1280, 720, 2500),
    RungSpec("v1080", 1920, 1080, 4500),
)
"""The full ladder for the demo."""
