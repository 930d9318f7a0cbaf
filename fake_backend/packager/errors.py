"""The packager's errors (8001-8049): what can go wrong turning a title spec into segments."""

from __future__ import annotations

from mediacore.errors import BackendError

__all__ = [
    "EncodeFailed",
    "FrameIdUnreadable",
    "InvalidTitleSpec",
    "PackagerError",
    "SegmentationFailed",
]


class PackagerError(BackendError):
    """Base of every packager failure."""


class InvalidTitleSpec(PackagerError):
    """A title or rung specification cannot be encoded as asked (sizes, rates, durations)."""

    code = 8001

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class EncodeFailed(PackagerError):
    """PyAV/FFmpeg refused to encode or mux a rendition."""

    code = 8002

    def __init__(self, message: str, *, rendition: str, stage: str) -> None:
        super().__init__(message)
        self.rendition = rendition
        self.stage = stage


class SegmentationFailed(PackagerError):
    """The muxed fMP4 does not split into the expected init + keyframe-led segments."""

    code = 8003

    def __init__(self, message: str, *, rendition: str, segment: int | None = None) -> None:
        super().__init__(message)
        self.rendition = rendition
        self.segment = segment


class FrameIdUnreadable(PackagerError):
    """A picture carries no readable frame-id band (markers, contrast or check bits fail)."""

    code = 8004

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
